"""Layout stage: templates, design values, themes, paper sizes, text fitting, QR drawings."""

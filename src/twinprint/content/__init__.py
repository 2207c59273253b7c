"""Content stage: the typed model, loading YAML/Markdown, sanitising, images, languages."""

"""Content stage: the typed model, loading YAML/Markdown, sanitising, images, languages."""

import re

# Here, not in load.py and model.py, so that the command line can check --lang and find content folders without importing the model.
EXHIBIT_FILE = "exhibit.yaml"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

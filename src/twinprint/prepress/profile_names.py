"""The print profiles' names and defaults, light enough for the command line to import at start-up (profiles.py has the rest)."""

PROFILE_NAMES = ("screen", "print", "archive", "accessible")
DEFAULT_PROFILE = "screen"
DEFAULT_BLEED_MM = 3.0
MAX_BLEED_MM = 20.0

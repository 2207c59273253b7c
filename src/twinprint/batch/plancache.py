"""The languages of each content folder, remembered with its files' sizes and times.

Planning `languages = ["all"]` needs each exhibit's languages; loading and
validating the content for that costs more than an up-to-date build should take.
A folder whose files all have the size and modification time recorded when it
last loaded is not loaded again; any change (or a folder never seen) loads it.
The record is a cache beside manifest.json: unreadable or unwritable, it is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..request import write_atomically

CACHE_FILE = ".plan-languages.json"


def folder_stamp(folder: Path) -> str:
    """A digest of every visible file's relative path, size and modification time under the folder."""
    listing = hashlib.sha256()
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(directory, name)
            stat = path.stat()
            listing.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return listing.hexdigest()


class LanguageCache:
    """{folder: (stamp, languages)} of one output folder."""

    def __init__(self, output_dir: Path | None) -> None:
        self.file = Path(output_dir) / CACHE_FILE if output_dir is not None else None
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.file is not None:
            try:
                self.entries = dict(json.loads(self.file.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                self.entries = {}

    def languages(self, folder: Path) -> list[str] | None:
        entry = self.entries.get(str(Path(folder).resolve()))
        try:
            return list(entry[1]) if entry and entry[0] == folder_stamp(folder) else None
        except OSError:
            return None

    def remember(self, folder: Path, languages: list[str]) -> None:
        try:
            entry = [folder_stamp(folder), list(languages)]
        except OSError:
            return
        if self.entries.get(str(Path(folder).resolve())) != entry:
            self.entries[str(Path(folder).resolve())] = entry
            self.changed = True

    def save(self) -> None:
        if self.file is None or not self.changed or not self.file.parent.is_dir():
            return
        try:
            write_atomically(self.file, json.dumps(self.entries, indent=1, sort_keys=True).encode())
        except OSError:
            pass  # only a cache: the next plan loads the content again
        self.changed = False

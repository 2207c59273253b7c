"""build/manifest.json: what each job last built (key, inputs, pages, size, time, warnings).

The file is rewritten atomically after every finished job, so a build killed at
any moment leaves a valid record of the jobs it completed. An entry is written
only after its outputs are in place; a missing or unreadable record just means
the jobs run again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..request import write_atomically

STATE_FILE = "manifest.json"
STATE_VERSION = 1


@dataclass
class JobRecord:
    """One built document as manifest.json keeps it."""

    key: str
    files: dict[str, str | None]
    fetched: dict[str, str]
    options: dict[str, Any]
    environment: dict[str, str]
    pages: int
    size: int
    sha256: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    # Other files the job wrote beside its PDF (previews, reports), relative to the output folder.
    extra_outputs: list[str] = field(default_factory=list)
    worker: str = ""
    built_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


class BuildState:
    """The job records of one output folder, saved after each change."""

    def __init__(self, output_dir: Path, records: dict[str, JobRecord], file_hashes: dict[str, list] | None = None,
                 theme_inputs: dict[str, list] | None = None) -> None:
        self.output_dir = Path(output_dir)
        self.records = records
        # Stat and hash of every input file read, so an unchanged file is not read again (keys.FileHashes).
        self.file_hashes = file_hashes or {}
        # The files each theme reads, while its theme files keep their stamps (keys.theme_inputs).
        self.theme_inputs = theme_inputs or {}

    @property
    def file(self) -> Path:
        return self.output_dir / STATE_FILE

    @classmethod
    def load(cls, output_dir: Path) -> "BuildState":
        file = Path(output_dir) / STATE_FILE
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            records = {name: JobRecord(**entry) for name, entry in data["jobs"].items()}
            file_hashes = dict(data.get("file_hashes", {}))
            theme_inputs = dict(data.get("theme_inputs", {}))
            if data.get("version") != STATE_VERSION:
                records, file_hashes, theme_inputs = {}, {}, {}
        except (OSError, ValueError, KeyError, TypeError):
            records, file_hashes, theme_inputs = {}, {}, {}
        return cls(output_dir, records, file_hashes, theme_inputs)

    def record(self, name: str, entry: JobRecord) -> None:
        self.records[name] = entry
        self.save()

    def save(self) -> None:
        data = {"version": STATE_VERSION, "jobs": {name: asdict(entry) for name, entry in sorted(self.records.items())},
                "file_hashes": dict(sorted(self.file_hashes.items())), "theme_inputs": dict(sorted(self.theme_inputs.items()))}
        write_atomically(self.file, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())

    def output_intact(self, name: str) -> bool:
        """The recorded output is at its path with the recorded bytes."""
        entry = self.records.get(name)
        path = self.output_dir / name
        if entry is None or not path.is_file() or path.stat().st_size != entry.size:
            return False
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest() == entry.sha256

"""The shared body of personalised copies, kept between runs.

The usual second run of `personalise` is the same booklet for an edited recipients list: the
body is then taken from the output folder instead of being laid out again. It is kept in
`<output>/.personal/<content folder>/<layout>-personal.<lang>/<key>.pdf`, with a .json beside it
(the render's warnings and the digest of every file it fetched). The key covers what a build's
job key covers (batch/keys.py): the content folder, the layout's files and theme, every option
of the body's request (its variables hold the first recipient's, which the body is rendered
with) and the environment (twinprint's code, WeasyPrint, the installed fonts). Before a body is
reused, every file its render fetched (images, fonts, profiles) is checked by digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .batch.keys import FileHashes, environment, job_key, rehash_fetched, request_options, static_inputs, fetched_inputs
from .request import BuildRequest, write_atomically

CACHE_FOLDER = ".personal"


@dataclass(frozen=True)
class Body:
    pdf: bytes
    warnings: list[str]
    fetched: dict[str, str]  # url -> sha256, as the render's fetcher recorded them


def body_folder(request: BuildRequest) -> Path:
    name = f"{request.layout}-personal.{request.language}"
    return Path(request.output_dir) / CACHE_FOLDER / Path(request.content_dir).resolve().name / name


def kept_or_rendered(request: BuildRequest, render: Callable[[], Body]) -> tuple[Body, bool]:
    """The body kept for this request if its inputs are unchanged, else `render()` kept for next time;
    and whether it was kept."""
    hashes = FileHashes()
    key = job_key(static_inputs(request, hashes), {}, request_options(request), environment())
    folder = body_folder(request)
    kept = _read(folder, key, request, hashes)
    if kept is not None:
        return kept, True
    body = render()
    _keep(folder, key, body, request)
    return body, False


def _read(folder: Path, key: str, request: BuildRequest, hashes: FileHashes) -> Body | None:
    try:
        record = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        pdf = (folder / f"{key}.pdf").read_bytes()
    except (OSError, ValueError):
        return None
    fetched = record.get("fetched") if isinstance(record, dict) else None
    if not isinstance(fetched, dict) or rehash_fetched(fetched, request.project_root, hashes) != fetched:
        return None
    return Body(pdf, list(record.get("warnings", [])), {})


def _keep(folder: Path, key: str, body: Body, request: BuildRequest) -> None:
    """Written PDF first, record last (a record is only read with its PDF); older bodies removed."""
    write_atomically(folder / f"{key}.pdf", body.pdf)
    record = {"warnings": body.warnings, "fetched": fetched_inputs(body.fetched, request.project_root)}
    write_atomically(folder / f"{key}.json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
    for path in folder.iterdir():
        if path.stem != key and path.suffix in (".pdf", ".json"):
            path.unlink(missing_ok=True)

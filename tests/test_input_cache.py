"""What an up-to-date check may skip: a file whose stamp is unchanged is not read again, a theme not validated again.

The rule is git's and make's, made stricter: a file is re-hashed when its size,
modification time, status-change time or inode differs from the last run. An
edit that keeps the size and sets the old modification time back (touch -r)
still changes the status-change time, which no user call can set: it is read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from twinprint.batch.keys import FileHashes, file_stamp, theme_inputs
from twinprint.request import BuildRequest


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_same_size_edit_with_its_old_modification_time_is_read_again(tmp_path: Path) -> None:
    file = tmp_path / "panel.md"
    file.write_bytes(b"Signed in 1990.\n")
    remembered: dict[str, list] = {}
    assert FileHashes(remembered).of(file) == sha256(b"Signed in 1990.\n")
    before = os.stat(file)
    file.write_bytes(b"Signed in 1991.\n")  # same size
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old time set back
    assert os.stat(file).st_size == before.st_size and os.stat(file).st_mtime_ns == before.st_mtime_ns
    assert FileHashes(remembered).of(file) == sha256(b"Signed in 1991.\n")


def test_an_unchanged_stamp_is_not_read_again_and_a_changed_one_is(tmp_path: Path) -> None:
    file = tmp_path / "figure.svg"
    file.write_bytes(b"<svg/>")
    # A remembered digest that is not the file's: returned only if the file is not read.
    remembered = {str(file): file_stamp(file) + ["0" * 64]}
    hashes = FileHashes(remembered)
    assert hashes.of(file) == "0" * 64 and not hashes.changed
    file.write_bytes(b"<svg></svg>")
    hashes = FileHashes(remembered)
    assert hashes.of(file) == sha256(b"<svg></svg>") and hashes.changed
    assert remembered[str(file)][4] == sha256(b"<svg></svg>")  # learned, for the owner to save


def house_theme(project: Path, logo: str) -> Path:
    themes = project / "layouts" / "themes"
    themes.mkdir(parents=True, exist_ok=True)
    for name in ("logo.svg", "other.svg"):
        (themes / name).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    theme = themes / "house.toml"
    theme.write_text(f'extends = "default"\nlogo = "{logo}"\n', encoding="utf-8")
    return theme


def test_theme_inputs_are_reused_until_a_theme_file_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    theme = house_theme(project, "logo.svg")
    request = BuildRequest(project / "content" / "x", "poster", project_root=project, theme="house")
    themes: dict[str, list] = {}
    first = theme_inputs(request, FileHashes({}, themes))
    assert theme in first and (theme.parent / "logo.svg").resolve() in first
    assert any(path.name == "default.toml" and path != theme for path in first)  # the theme it extends
    # The answer is reused while the stamps hold: a planted answer proves no theme was read.
    (key, (stamp, _)), = themes.items()
    themes[key] = [stamp, ["planted.toml"]]
    assert theme_inputs(request, FileHashes({}, themes)) == [Path("planted.toml")]
    # The theme now names another logo (same size, so the stamp differs by its times and inode only).
    theme.write_text(theme.read_text(encoding="utf-8").replace("logo.svg", "other.svg"), encoding="utf-8")
    again = theme_inputs(request, FileHashes({}, themes))
    assert (theme.parent / "other.svg").resolve() in again and (theme.parent / "logo.svg").resolve() not in again


def test_a_new_project_theme_of_the_same_name_is_noticed(tmp_path: Path) -> None:
    """A project's own default.toml takes the built-in one's place: the cached answer must not hide it."""
    project = tmp_path / "project"
    (project / "layouts" / "themes").mkdir(parents=True)
    request = BuildRequest(project / "content" / "x", "poster", project_root=project)
    themes: dict[str, list] = {}
    builtin = theme_inputs(request, FileHashes({}, themes))
    own = project / "layouts" / "themes" / "default.toml"
    own.write_text('extends = "default"\nname = "Ours"\n', encoding="utf-8")
    now = theme_inputs(request, FileHashes({}, themes))
    assert own not in builtin and own in now

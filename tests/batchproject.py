"""A small project for batch tests: two short exhibits, the layouts, a manifest of four jobs."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

TINY_EXHIBIT = """\
kind: partnership
title: {en: "%(title)s", zh: "甲与乙"}
languages: [en, zh]
cities:
  - name: {en: Alpha, zh: 甲城}
    country: {en: Italy, zh: 意大利}
  - name: {en: Beta, zh: 乙城}
    country: {en: China, zh: 中国}
twinned_since: 1990
year: 2020
sections:
  - id: first
    title: {en: "First steps", zh: "第一步"}
    body_file: {en: text/first.en.md, zh: text/first.zh.md}
"""
MANIFEST = """\
[[jobs]]
layouts = ["catalogue", "poster"]
languages = ["en"]
"""
ALL_JOBS = {f"{slug}/{layout}.en.pdf" for slug in ("alpha", "beta") for layout in ("catalogue", "poster")}


def make_project(root: Path, project_root: Path) -> Path:
    """Two small exhibits, the project's own copy of the layouts, a manifest of 4 jobs."""
    for slug, title in (("alpha", "Alpha and Beta"), ("beta", "Beta and Alpha")):
        folder = root / "content" / slug
        (folder / "text").mkdir(parents=True)
        (folder / "exhibit.yaml").write_text(TINY_EXHIBIT % {"title": title}, encoding="utf-8")
        (folder / "text" / "first.en.md").write_text("The two cities signed their agreement in 1990.\n", encoding="utf-8")
        (folder / "text" / "first.zh.md").write_text("两座城市于1990年签署协议。\n", encoding="utf-8")
    shutil.copytree(project_root / "layouts", root / "layouts")
    (root / "twinprint.toml").write_text(MANIFEST, encoding="utf-8")
    return root


def add_long_exhibit(project: Path, slug: str, sections: int) -> Path:
    """An exhibit of many text-only sections (each opens a page): a job that runs for a while."""
    folder = project / "content" / slug
    (folder / "text").mkdir(parents=True)
    paragraph = "Delegations, students and artists travelled between the two cities every year. " * 12
    body = "\n\n".join([paragraph] * 4)
    (folder / "text" / "body.en.md").write_text(body + "\n", encoding="utf-8")
    (folder / "text" / "body.zh.md").write_text("两座城市每年互派代表团。\n", encoding="utf-8")
    listed = "".join(
        f"  - id: part-{n}\n    title: {{en: \"Part {n}\", zh: \"第{n}部分\"}}\n    body_file: {{en: text/body.en.md, zh: text/body.zh.md}}\n"
        for n in range(sections)
    )
    header = TINY_EXHIBIT.split("sections:")[0] % {"title": f"Long story {slug}"}
    (folder / "exhibit.yaml").write_text(header + "sections:\n" + listed, encoding="utf-8")
    return folder


def with_ctrl_c() -> None:
    """Popen's preexec_fn for a command a test interrupts: Ctrl-C at its default, as in a terminal.

    A shell without job control starts background commands with SIGINT ignored, and an ignored
    signal stays ignored across exec: a test run started that way would hand it to the command.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)

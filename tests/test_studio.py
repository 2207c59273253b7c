"""The studio in a real browser: Debian's Chromium driven by Playwright, against `twinprint studio` on a copy of a seed.

One session, in order: the home page lists the jobs; the poster's page image
appears; an edit to the content brings a new image by itself; a character no
font can draw gets a preflight mark over the spot where poppler (not the
studio's pdfium) finds it; broken YAML shows its one-line error and keeps the
last good page; fixing it brings the page back; the diff against the build
approved at the start shows the one changed page; two languages side by side;
back home, a click builds a stale job with the batch and its card turns up to date.
The screenshot with the mark is saved (STUDIO_SCREENSHOT=docs/img/studio.png
writes the README's).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playwright import sync_api as playwright_api  # installed with the test extras; it drives Debian's chromium

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
POSTER = "milan-shanghai/poster-A2.en.pdf"
TITLE = 'en: "Milan (Italy) and Shanghai"'
# Egyptian hieroglyph A001: no font here has it, so preflight reports it as a glyph printed as a box.
NO_FONT_HAS_IT = "\U00013000"
MANIFEST = """
[[jobs]]
content = ["content/milan-shanghai"]
layouts = ["poster"]
papers = ["A2"]
languages = ["en", "it"]
"""
WAIT_MS = 90_000

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "content" / "milan-shanghai", tmp_path / "content" / "milan-shanghai")
    (tmp_path / "twinprint.toml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


@pytest.fixture
def studio_url(project: Path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # Port 0: the studio binds a free port itself and says which (a port probed free here could be taken by then).
    server = subprocess.Popen([sys.executable, "-m", "twinprint", "--project", str(project), "studio", "--port", "0"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        announced = re.search(r"twinprint studio at (http://127\.0\.0\.1:(\d+))/ ", line)
        assert announced and int(announced.group(2)) > 0, line + server.stdout.read()
        yield announced.group(1)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


@pytest.fixture
def browser_page():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: scripts/bootstrap.sh installs Debian's chromium (apt-get install chromium)"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        yield page
        browser.close()


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def page_version(page) -> int:
    return int(page.get_attribute(".page[data-n='1'] img", "data-version") or 0)


def wait_for_version(page, version: int) -> None:
    page.wait_for_function(
        f"""() => {{ const image = document.querySelector(".page[data-n='1'] img");
                   return image && Number(image.dataset.version) >= {version} && image.complete && image.naturalWidth > 0; }}""",
        timeout=WAIT_MS)


def poppler_char_box(pdf: Path, character: str) -> tuple[float, float, float, float]:
    """The box of the word holding `character` as fractions of the page, read by pdftotext -bbox."""
    raw = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    # poppler writes characters beyond the BMP as UTF-16 surrogates, each encoded like UTF-8 (CESU-8).
    out = raw.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass").decode("utf-16")
    width, height = (float(v) for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out).groups())
    found = re.search(rf'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">[^<]*{character}[^<]*</word>', out)
    assert found, out[:2000]
    x0, y0, x1, y1 = (float(v) for v in found.groups())
    return x0 / width, y0 / height, x1 / width, y1 / height


def test_live_preview_marks_and_errors_in_a_real_browser(project, studio_url, browser_page, tmp_path):
    page = browser_page
    exhibit = project / "content" / "milan-shanghai" / "exhibit.yaml"

    # Home: one card per job, never built yet.
    page.goto(studio_url + "/")
    assert page.locator(".card").count() == 2
    assert page.locator(".card .status").all_inner_texts() == ["stale", "stale"]

    # The document view: the poster's page image and the language switcher.
    page.goto(f"{studio_url}/doc/{POSTER}")
    wait_for_version(page, 1)
    page.wait_for_function("() => document.querySelector('.findings').textContent.includes('preflight passed')", timeout=WAIT_MS)
    assert page.locator("header nav a", has_text="it").count() >= 1
    before = page.locator(".page[data-n='1'] img").screenshot()
    page.click("#approve")
    page.wait_for_function("() => document.querySelector('#approve').textContent.includes('approved')", timeout=WAIT_MS)

    # An edit to the content: a new image arrives by itself, and its pixels differ.
    edit(exhibit, TITLE, 'en: "Milan (Italy) and Shanghai, forty years on"')
    wait_for_version(page, 2)
    after = page.locator(".page[data-n='1'] img").screenshot()
    assert after != before

    # A character no font has: preflight fails, and its mark sits where poppler finds the character.
    edit(exhibit, "forty years on", f"forty years on {NO_FONT_HAS_IT}")
    wait_for_version(page, 3)
    mark = page.locator(".page[data-n='1'] .mark.error[data-check='glyphs']")
    mark.first.wait_for(timeout=WAIT_MS)
    assert "glyphs" in page.inner_text(".findings") and "FAILED" in page.inner_text(".findings")
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(page.request.get(f"{studio_url}/pdf/{POSTER}").body())
    x0, y0, x1, y1 = poppler_char_box(pdf, NO_FONT_HAS_IT)
    image_box = page.locator(".page[data-n='1'] img").bounding_box()
    mark_box = mark.first.bounding_box()
    left, top = (mark_box["x"] - image_box["x"]) / image_box["width"], (mark_box["y"] - image_box["y"]) / image_box["height"]
    right, bottom = left + mark_box["width"] / image_box["width"], top + mark_box["height"] / image_box["height"]
    assert left <= x1 and right >= x0 and top <= y1 and bottom >= y0, ((left, top, right, bottom), (x0, y0, x1, y1))
    assert left >= x0 - 0.05 and right <= x1 + 0.05  # on the character's word, not the whole page
    shot = page.screenshot(full_page=True)
    (tmp_path / "studio.png").write_bytes(shot)
    if os.environ.get("STUDIO_SCREENSHOT"):
        Path(os.environ["STUDIO_SCREENSHOT"]).write_bytes(shot)

    # Broken YAML: the one-line error on the page, the last good page kept.
    good = exhibit.read_text(encoding="utf-8")
    exhibit.write_text(good.replace("kind: partnership", "kind: [partnership", 1), encoding="utf-8")
    banner = page.locator("#banner")
    banner.wait_for(state="visible", timeout=WAIT_MS)
    assert "exhibit.yaml" in banner.inner_text() and "line" in banner.inner_text()
    assert page_version(page) == 3 and page.evaluate("document.querySelector(\".page[data-n='1'] img\").naturalWidth") > 0

    # Fixed: the banner goes, a new page comes.
    exhibit.write_text(good.replace(f" {NO_FONT_HAS_IT}", ""), encoding="utf-8")
    wait_for_version(page, 4)
    banner.wait_for(state="hidden", timeout=WAIT_MS)

    # The diff against the approved build: the one page changed, its title among the text changes.
    page.goto(f"{studio_url}/diff/{POSTER}")
    assert "0 pages added, 0 removed, 1 changed" in page.inner_text(".summary")
    assert "forty years on" in page.locator(".changed .text").inner_text()

    # Two languages side by side, each column live.
    page.goto(f"{studio_url}/doc/{POSTER}?beside={POSTER.replace('.en.', '.it.')}")
    page.wait_for_function("""() => [...document.querySelectorAll("section.doc .page[data-n='1'] img")]
                                  .filter((image) => image.complete && image.naturalWidth > 0).length === 2""", timeout=WAIT_MS)
    assert page.locator("section.doc h2").all_inner_texts() == [POSTER, POSTER.replace(".en.", ".it.")]

    # Home again: a click builds the stale Italian poster with the batch; its card turns up to date, with a thumbnail.
    page.goto(studio_url + "/")
    italian = page.locator(f".card[data-job='{POSTER.replace('.en.', '.it.')}']")
    italian.locator("button[data-build]").click()
    page.wait_for_function(f"""() => {{ const card = document.querySelector(".card[data-job='{POSTER.replace('.en.', '.it.')}']");
                                      return card && card.querySelector(".status").textContent === "up to date"; }}""", timeout=WAIT_MS)
    assert "preflight passed" in italian.inner_text() and "1 page," in italian.inner_text()
    page.wait_for_function(f"""() => {{ const image = document.querySelector(".card[data-job='{POSTER.replace('.en.', '.it.')}'] img");
                                      return image && image.complete && image.naturalWidth > 0; }}""", timeout=WAIT_MS)
    assert (project / "build" / POSTER.replace(".en.", ".it.")).is_file()


def test_a_taken_port_is_a_one_line_usage_error(project, capsys):
    from twinprint.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--project", str(project), "studio", "--port", str(port)]) == 2
    assert f"Error: --host 127.0.0.1 --port {port}: cannot listen there" in capsys.readouterr().err

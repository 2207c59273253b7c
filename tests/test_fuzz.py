"""Property tests: the loader only ever raises ContentError, QR codes decode back to their URL, outputs stay in their folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfcheck import decode_qr_codes

from twinprint.batch.jobs import job_name
from twinprint.batch.manifest import check_name_pattern
from twinprint.build import BuildRequest, request_output
from twinprint.content.load import load_exhibit
from twinprint.errors import ContentError, TwinprintError
from twinprint.layout.templates import qr_placeholder
from twinprint.render.pdf import SandboxFetcher, render_pdf

VALID = {
    "kind": "exhibition",
    "title": {"en": "Twin towns", "it": "Città gemellate"},
    "languages": ["en", "it"],
    "cities": [{"name": "Nanjing", "country": "China"}, {"name": "Florence", "country": "Italy"}],
    "twinned_since": 1980,
    "sections": [{"id": "intro", "title": "Introduction", "body_file": "text/intro.md",
                  "figures": [{"id": "f", "image": "images/a.svg", "caption": "c", "alt": "a"}],
                  "links": [{"url": "https://example.org/", "label": "More"}]}],
}
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                    st.dates(), st.sampled_from(["../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "http://169.254.169.254/",
                                                 "images/a.svg", "text/intro.md", "<script>x</script>", "javascript:x", "1980-02-30"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                      max_leaves=20)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "demo"
    (root / "text").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "text" / "intro.md").write_text("Hello.\n", encoding="utf-8")
    (root / "images" / "a.svg").write_text(SVG, encoding="utf-8")
    return root


def load_only_content_errors(folder: Path, data: bytes) -> None:
    (folder / "exhibit.yaml").write_bytes(data)
    try:
        load_exhibit(folder)
    except ContentError as error:
        assert error.problems and "\n" not in error.message.strip()


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=300))
def test_loader_on_random_bytes(folder, data):
    load_only_content_errors(folder, data)


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_loader_on_random_text(folder, text):
    load_only_content_errors(folder, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(values)
def test_loader_on_random_yaml_documents(folder, data):
    load_only_content_errors(folder, yaml.safe_dump(data, allow_unicode=True).encode())


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_of(value, prefix + (index,))
    return found


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = replaced(copy[path[0]], path[1:], value)
    return copy


@FUZZ
@given(st.sampled_from(paths_of(VALID)), values)
def test_loader_on_a_valid_exhibit_with_one_value_replaced(folder, path, value):
    load_only_content_errors(folder, yaml.safe_dump(replaced(VALID, path, value), allow_unicode=True).encode())


@FUZZ
@given(st.sampled_from(paths_of(VALID)), st.integers(0, 400), st.sampled_from(["\t", "'", '"', ":", "[", "{", "&a ", "*a", "!!python/object:os.system ", "- ", "\n  ", "%"]))
def test_loader_on_a_valid_exhibit_with_a_character_inserted(folder, _path, position, character):
    text = yaml.safe_dump(VALID, allow_unicode=True)
    position = min(position, len(text))
    load_only_content_errors(folder, (text[:position] + character + text[position:]).encode())


def test_the_valid_exhibit_used_for_fuzzing_loads(folder):
    (folder / "exhibit.yaml").write_text(yaml.safe_dump(VALID), encoding="utf-8")
    assert load_exhibit(folder).title == VALID["title"]


# QR round trip: URL -> vector code in a real WeasyPrint PDF -> pixels at 150 dpi -> zxing -> URL.

URL_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%"
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,3}\.[a-z]{2,6}", fullmatch=True)
urls = st.one_of(
    st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}", st.sampled_from(["http", "https"]), hosts,
              st.text(alphabet=URL_CHARACTERS, max_size=120)),
    st.builds(lambda user, host: f"mailto:{user}@{host}", st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True), hosts),
    st.builds(lambda digits: f"tel:+{digits}", st.from_regex(r"[0-9]{6,15}", fullmatch=True)),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(urls, min_size=1, max_size=3, unique=True))
def test_qr_round_trip(urls_on_page):
    html = "<style>.qr { display: block; margin: 8mm }</style>" + "".join(str(qr_placeholder(url, 40)) for url in urls_on_page)
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(scratch) / "qr.pdf"
        pdf.write_bytes(render_pdf(html, Path(scratch).as_uri() + "/", SandboxFetcher(allowed_roots=(Path(scratch),))).pdf)
        assert sorted(decode_qr_codes(pdf, 0)) == sorted(urls_on_page)


# Output names: whatever a request says, the PDF lands inside the output folder or the request is refused.

names = st.one_of(st.text(max_size=20), st.sampled_from(["..", ".", "/", "../..", "/etc/cron.d/x", "a/../../b", "\x00", "~", "..\\..", " "]))


@settings(max_examples=300, deadline=None)
@given(slug=names, layout=names, language=names, profile=names, paper=st.none() | names, orientation=st.sampled_from([None, "portrait", "landscape"]))
def test_output_never_escapes_the_output_folder(tmp_path_factory, slug, layout, language, profile, paper, orientation):
    out = Path("/srv/twinprint/build")
    request = BuildRequest(Path("content/x"), layout, language, out, profile=profile, paper=paper, orientation=orientation)
    try:
        path = request_output(request, slug)
    except TwinprintError:
        return
    assert Path(os.path.normpath(path)).is_relative_to(out), path
    assert path.suffix == ".pdf" and "\x00" not in str(path)


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(["{slug}/{recipient}.pdf", "{recipient}/{layout}.{lang}.pdf", "{slug}-{recipient}-{theme}.pdf", "{recipient}.pdf"]),
       recipient=st.one_of(names, st.text(alphabet="./\\ab\x00-_ ", max_size=12)))
def test_name_patterns_never_escape_the_output_folder(pattern, recipient):
    """twinprint.toml `name` patterns filled with any variable value (personalised names come from a CSV)."""
    out = Path("/srv/twinprint/build")
    request = BuildRequest(Path("content/demo"), "catalogue", "en", out, variables=(("recipient", recipient),))
    try:
        name = job_name(request, check_name_pattern(pattern, {"recipient"}))
    except TwinprintError:
        return
    path = out / name
    assert Path(os.path.normpath(path)).is_relative_to(out) and ".." not in Path(name).parts, name
    assert name.endswith(".pdf") and not Path(name).is_absolute()

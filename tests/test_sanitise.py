"""Sanitised content: no raw HTML, no unsafe links, nothing outside the folder; autoescape in every layout."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import tinyhtml5

import twinprint.build
from twinprint.build import BuildRequest, render_exhibit_html
from twinprint.errors import LayoutError
from twinprint.content.i18n import LocalisedExhibit
from twinprint.layout.templates import LayoutRequest, available_layouts, layout_search_path, markdown_to_html, render_layout_html
from twinprint.content.sanitise import UnsafeReference, find_raw_html, link_scheme_problem, markdown_images, markdown_issues, resolve_in_folder

FORBIDDEN_ELEMENTS = {"script", "iframe", "object", "embed", "link", "style", "meta", "base", "form", "input", "svg", "math"}

HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "Text <script>alert(1)</script> inline",
    "<iframe src=\"https://example.org\"></iframe>",
    "<object data=\"file:///etc/passwd\"></object>",
    "<embed src=\"file:///etc/passwd\">",
    "<link rel=stylesheet href=\"file:///etc/passwd\">",
    "<style>@import url(file:///etc/passwd);</style>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=\"file:///etc/\">",
    "<form action=\"https://example.org\"><input name=x></form>",
    "<img src=x onerror=alert(1)>",
    "<p onclick=\"alert(1)\">click</p>",
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](file:///etc/passwd)",
]


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    return [(e.tag.split("}")[-1], dict(e.attrib)) for e in tinyhtml5.parse(html).iter() if isinstance(e.tag, str)]  # not comments


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_markdown_never_renders_active_html(text):
    """Even if validation were bypassed, the Markdown renderer emits no raw HTML and no javascript: URL."""
    for tag, attributes in elements(str(markdown_to_html(text))):
        assert tag not in FORBIDDEN_ELEMENTS, (text, tag)
        assert not any(name.lower().startswith("on") for name in attributes), (text, attributes)
        for name in ("href", "src"):
            value = attributes.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text", "file:")), (text, attributes)


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_validation_reports_every_hostile_markdown(text):
    codes = {issue.code for issue in markdown_issues(text)}
    images = markdown_images(text)
    assert codes & {"raw-html", "link-scheme"} or images, text


def test_markdown_issues_name_the_line():
    issues = markdown_issues("First paragraph.\n\nSecond with [bad](javascript:x).\n\n<script>x</script>\n")
    assert [(i.line, i.code) for i in issues] == [(3, "link-scheme"), (5, "raw-html")]


@pytest.mark.parametrize("text", ["Plain *Markdown* with [a link](https://example.org) and <https://example.org>.",
                                  "Mail <info@example.org>, [call](tel:+390551234), [up](#top), 3 < 4 and <3."])
def test_ordinary_markdown_passes(text):
    assert markdown_issues(text) == [] and find_raw_html(text) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/x", "data:text/html,x",
                                 "www.example.org", "example.org/page", "http:///nohost", "https://exa mple.org",
                                 "https://example.org/\x07", ""])
def test_link_schemes_refused(url):
    assert link_scheme_problem(url)


@pytest.mark.parametrize("url", ["https://example.org/a?b=c#d", "http://example.org", "mailto:info@example.org", "tel:+39055123"])
def test_link_schemes_allowed(url):
    assert link_scheme_problem(url) is None


def test_resolve_in_folder_refuses_everything_outside(tmp_path: Path):
    folder = tmp_path / "demo"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.png").write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"x")
    (folder / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    (folder / "up").symlink_to(tmp_path)
    assert resolve_in_folder("images/../images/a.png", folder) == (folder / "images" / "a.png").resolve()
    cases = {
        "../secret.png": "path-traversal", "images/../../secret.png": "path-traversal", "/etc/passwd": "absolute-path",
        "images/link.png": "symlink-outside", "up/secret.png": "symlink-outside", "http://169.254.169.254/": "remote-url",
        "file:///etc/passwd": "remote-url", "//example.org/a.png": "remote-url", "images/none.png": "missing-file",
        "images": "not-a-file", "": "empty-path", "a\x00.png": "invalid-path",
    }
    for reference, code in cases.items():
        with pytest.raises(UnsafeReference) as caught:
            resolve_in_folder(reference, folder)
        assert caught.value.code == code, reference


# Autoescape: content strings reach every layout as text, never as markup.

PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:x">'
TEXT_KEYS = {"title", "subtitle", "caption", "text", "label", "name", "alt", "author", "role", "heading",
             "organisation", "note", "publication", "country", "credit", "original"}


def inject(data: object) -> object:
    if isinstance(data, dict):
        return {k: (v + PAYLOAD if k in TEXT_KEYS and isinstance(v, str) else inject(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [inject(item) for item in data]
    return data


@pytest.mark.parametrize("layout", available_layouts(layout_search_path(Path(__file__).resolve().parents[1])))
def test_every_layout_escapes_content(layout, seed_exhibits, project_root, monkeypatch):
    exhibit = seed_exhibits["nanjing-florence"]
    request = BuildRequest(project_root / "content" / exhibit.slug, layout, "en", project_root=project_root)
    clean, _ = render_exhibit_html(exhibit, request)
    real_localise = twinprint.build.localise

    def hostile_localise(*args: object, **kwargs: object) -> LocalisedExhibit:
        localised = real_localise(*args, **kwargs)
        return LocalisedExhibit(localised.language, inject(localised.data), localised.fallbacks)  # type: ignore[arg-type]

    monkeypatch.setattr(twinprint.build, "localise", hostile_localise)
    hostile, _ = render_exhibit_html(exhibit, request)
    assert hostile.count("&lt;script&gt;") > 3
    assert Counter(tag for tag, _ in elements(hostile)) == Counter(tag for tag, _ in elements(clean))
    assert not any(name.startswith("on") for _, attributes in elements(hostile) for name in attributes)


def local_layout(tmp_path: Path, template: str) -> LayoutRequest:
    folder = tmp_path / "layouts" / "local"
    folder.mkdir(parents=True)
    (folder / "layout.html").write_text(template, encoding="utf-8")
    return LayoutRequest("local", "en", (tmp_path / "layouts",))


def test_project_local_layouts_are_autoescaped(tmp_path):
    request = local_layout(tmp_path, "<p>{{ value }}</p><p title=\"{{ value }}\"></p>")
    html = render_layout_html(request, {"value": '"><script>alert(1)</script>'})
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#34;&gt;" in html


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ value.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
])
def test_project_local_layouts_cannot_reach_python(tmp_path, template):
    with pytest.raises(LayoutError) as caught:
        render_layout_html(local_layout(tmp_path, template), {"value": "x"})
    assert "local" in str(caught.value)

"""Themes: TOML -> CSS variables, inheritance, validation; layouts use variables only; a theme changes the print."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2
import pytest

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest, build_document
from twinprint.errors import LayoutError
from twinprint.layout.theme import REQUIRED_COLOURS, load_theme

BUILTIN_LAYOUTS = (PROJECT_ROOT / "layouts",)
# A colour value written into a layout stylesheet instead of a theme variable.
HARD_CODED_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(rgba?|hsla?|cmyk|device-cmyk)\(|:\s*(white|black|red|blue|green|gray|grey)\s*[;}]")


def write_theme(folder: Path, name: str, text: str) -> Path:
    themes = folder / "layouts" / "themes"
    themes.mkdir(parents=True, exist_ok=True)
    file = themes / f"{name}.toml"
    file.write_text(text, encoding="utf-8")
    return file


def test_default_theme_becomes_css_variables_for_every_colour_and_font():
    theme, files = load_theme("default", BUILTIN_LAYOUTS)
    css = str(theme.css())
    for name in REQUIRED_COLOURS:
        assert f"--tp-{name}: {theme.colours[name]};" in css
    assert '--tp-serif: "TP Serif", "TP CJK Serif";' in css
    assert 'html:lang(zh) {\n  --tp-serif: "TP CJK Serif", "TP Serif";' in css
    assert files == [BUILTIN_LAYOUTS[0] / "themes" / "default.toml"]


def test_a_project_theme_extends_the_default_and_changes_only_what_it_names(tmp_path: Path):
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    write_theme(tmp_path, "florence", 'extends = "default"\nlogo = "../../logo.svg"\n[colours]\naccent = "#5a2a82"\n[paper]\nposter = "B1"\n')
    search_path = (tmp_path / "layouts", *BUILTIN_LAYOUTS)
    theme, files = load_theme("florence", search_path)
    default, _ = load_theme("default", BUILTIN_LAYOUTS)
    assert theme.colours["accent"] == "#5a2a82"
    assert {k: v for k, v in theme.colours.items() if k != "accent"} == {k: v for k, v in default.colours.items() if k != "accent"}
    assert theme.paper == {"poster": "B1"}
    assert theme.template_values()["logo_url"] == (tmp_path / "logo.svg").resolve().as_uri()
    assert [f.name for f in files] == ["default.toml", "florence.toml"]


def test_a_project_theme_may_override_the_builtin_theme_of_the_same_name(tmp_path: Path):
    write_theme(tmp_path, "default", 'extends = "default"\n[colours]\naccent-2 = "#003300"\n')
    theme, files = load_theme("default", (tmp_path / "layouts", *BUILTIN_LAYOUTS))
    assert theme.colours["accent-2"] == "#003300" and theme.colours["ink"] == "#1d1b1a"
    assert len(files) == 2


@pytest.mark.parametrize(("text", "message"), [
    ('[colours]\nink = "red; } body { display: none"\n', "colours.ink"),
    ('extends = "default"\n[colours]\naccent = "url(x)"\n', "colours.accent"),
    ('[colours]\nink = "#000"\n', "colours: missing muted"),
    ('extends = "nowhere"\n', "unknown theme 'nowhere'"),
    ('extends = "default"\nlogo = "missing.svg"\n', "logo: file not found"),
    ('extends = "default"\n[fonts]\nserif = "Evil\\"; }"\n', "fonts.serif"),
    ("colours = [", "malformed TOML"),
])
def test_bad_themes_are_one_line_errors_naming_the_file_and_field(tmp_path: Path, text, message):
    file = write_theme(tmp_path, "bad", text)
    with pytest.raises(LayoutError) as raised:
        load_theme("bad", (tmp_path / "layouts", *BUILTIN_LAYOUTS))
    assert message in raised.value.message
    assert str(file) in raised.value.message or "unknown theme" in raised.value.message
    assert "\n" not in raised.value.message


def test_unknown_theme_lists_the_known_ones():
    with pytest.raises(LayoutError, match="expected one of default"):
        load_theme("festival", BUILTIN_LAYOUTS)


def test_layout_stylesheets_use_theme_variables_not_colour_values():
    """Colour values appear only as values of --tp-* variables (a profile's overrides), never in a rule."""
    offenders = []
    for sheet in sorted(BUILTIN_LAYOUTS[0].rglob("*.css")):
        code = re.sub(r"/\*.*?\*/", lambda comment: "\n" * comment.group().count("\n"), sheet.read_text(encoding="utf-8"), flags=re.S)
        for number, line in enumerate(code.splitlines(), 1):
            declarations = re.sub(r"--tp-[a-z0-9-]+\s*:[^;}]*", "", line)
            if HARD_CODED_COLOUR.search(declarations):
                offenders.append(f"{sheet.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert not offenders, "colour values outside the theme:\n" + "\n".join(offenders)


def test_layout_templates_carry_no_inline_colours():
    for template in BUILTIN_LAYOUTS[0].rglob("*.html"):
        assert not re.search(r"style=\"[^\"]*(#[0-9a-fA-F]{3,8}|rgb\()", template.read_text(encoding="utf-8")), template


@pytest.mark.slow
def test_a_theme_colour_reaches_the_printed_poster(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(CONTENT / "milan-shanghai", project / "content" / "milan-shanghai")
    write_theme(project, "green", 'extends = "default"\n[colours]\naccent-2 = "#00a000"\n')
    request = BuildRequest(project / "content" / "milan-shanghai", "poster", "en", tmp_path / "out", project,
                           paper="A4", theme="green")
    result = build_document(request)
    document = pypdfium2.PdfDocument(str(result.output))
    try:
        image = document[0].render(scale=20 / 72).to_pil().convert("RGB")
    finally:
        document.close()
    # The masthead band (top left, above the headline) is painted in accent-2.
    assert image.getpixel((3, 3)) == pytest.approx((0, 160, 0), abs=3)


def test_every_theme_variable_a_layout_uses_is_defined_by_the_default_theme():
    theme, _ = load_theme("default", BUILTIN_LAYOUTS)
    sheets = [re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S) for sheet in BUILTIN_LAYOUTS[0].rglob("*.css")]
    defined = set(re.findall(r"--(tp-[a-z0-9-]+):", str(theme.css()) + "".join(sheets)))
    used = {name for code in sheets for name in re.findall(r"var\(--(tp-[a-z0-9-]+)\)", code)}
    assert used and used <= defined, f"undefined: {sorted(used - defined)}"

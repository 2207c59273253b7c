"""Spot inks: a theme colour named for a spot ink prints on its own plate (ghostscript's separations show it)."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

from test_inks import print_pdf, separations_inked
from twinprint.errors import LayoutError
from twinprint.layout.theme import load_theme
from twinprint.prepress.preflight import PreflightContext, preflight_pdf
from twinprint.prepress.profiles import PROFILES, finish_pdf

PROJECT = Path(__file__).resolve().parents[1]
INK, CMYK = "PANTONE 7621 C", (0.0, 0.9, 0.7, 0.3)


def theme_file(folder: Path, accent: str) -> Path:
    file = folder / "layouts" / "themes" / "spot.toml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(f'extends = "default"\n[colours]\naccent = {accent}\n')
    return file


def test_theme_colour_as_inks_gives_device_cmyk_css_and_a_spot_ink(tmp_path):
    file = theme_file(tmp_path, '{ cmyk = [0, 0.9, 0.7, 0.3], spot = "PANTONE 7621 C" }')
    theme, _ = load_theme(str(file), (tmp_path / "layouts", PROJECT / "layouts"))
    assert theme.colours["accent"] == "device-cmyk(0 0.9 0.7 0.3)"
    assert "--tp-accent: device-cmyk(0 0.9 0.7 0.3);" in theme.css()
    assert theme.spot_inks == {INK: CMYK}


@pytest.mark.parametrize("accent, field", [("{ cmyk = [0, 0.9, 0.7] }", "colours.accent.cmyk"),
                                           ("{ cmyk = [0, 2, 0, 0] }", "colours.accent.cmyk"),
                                           ('{ cmyk = [0, 0.9, 0.7, 0.3], spot = "a/b" }', "colours.accent.spot"),
                                           ('{ cmyk = [0, 0.9, 0.7, 0.3], pantone = "x" }', "colours.accent")])
def test_bad_ink_colours_are_named_with_their_field(tmp_path, accent, field):
    file = theme_file(tmp_path, accent)
    with pytest.raises(LayoutError, match=f"{file}: {field}"):
        load_theme(str(file), (tmp_path / "layouts", PROJECT / "layouts"))


def test_spot_colour_is_a_separation_with_its_cmyk_alternate_on_its_own_plate(tmp_path):
    body = ("<p style='color:device-cmyk(0 0.9 0.7 0.3);font-size:9pt'>Small text in the spot ink</p>"
            "<div style='height:15mm;background:device-cmyk(0 0.9 0.7 0.3)'></div>"
            "<p style='color:device-cmyk(0.1 0.9 0.7 0.3)'>Nearly the spot's CMYK: stays process</p>")
    data = print_pdf(body, tmp_path, spot_inks={INK: CMYK})
    with pikepdf.open(io.BytesIO(data)) as pdf:
        spaces = [s for s in pdf.pages[0].Resources.ColorSpace.values() if isinstance(s, pikepdf.Array) and s[0] == "/Separation"]
        (space,) = spaces
        assert str(space[1]) == "/" + INK and space[2] == "/DeviceCMYK"
        assert [float(v) for v in space[3].C1] == list(CMYK) and [float(v) for v in space[3].C0] == [0, 0, 0, 0]
    inked = separations_inked(data, tmp_path, plates=("Cyan", "Magenta", "Yellow", "Black", INK))
    assert inked[INK] and inked["Cyan"]  # the spot's plate, and the near-miss in process inks
    report = preflight_pdf(data, "spot.pdf", PreflightContext(profile="print"))
    assert report.passed, report.findings
    assert report.inks[0]["plates"] == ["Cyan", "Magenta", "Yellow", "Black", INK]
    assert not [f for f in report.findings if f.check == "small text"]  # the spot text is on one plate


def test_without_spot_inks_the_cmyk_stays_process(tmp_path):
    data = print_pdf("<div style='height:15mm;background:device-cmyk(0 0.9 0.7 0.3)'></div>", tmp_path)
    assert separations_inked(data, tmp_path) == {"Cyan": False, "Magenta": True, "Yellow": True, "Black": True}
    assert finish_pdf(data, PROFILES["screen"])[0] == data


def test_small_text_in_a_cmyk_colour_the_theme_chose_only_warns(tmp_path):
    """The designer's own inks are left as chosen: preflight says so, but does not fail the file."""
    data = print_pdf("<p style='color:device-cmyk(0 0.9 0.7 0.3);font-size:8pt'>Chosen inks, small</p>"
                     "<p style='color:device-cmyk(0.5 0.9 0.7 0.3);font-size:8pt'>Other inks, small</p>", tmp_path)
    report = preflight_pdf(data, "chosen.pdf", PreflightContext(profile="print", chosen_cmyk=(CMYK,)))
    severities = sorted(f.severity for f in report.findings if f.check == "small text")
    assert severities == ["error", "warning"]
    (warning,) = [f for f in report.findings if f.check == "small text" and f.severity == "warning"]
    assert "theme chose" in warning.message and "'Chosen inks, small'" in warning.message


def test_theme_lists_the_cmyk_colours_it_chose(tmp_path):
    file = theme_file(tmp_path, '{ cmyk = [0, 0.9, 0.7, 0.3] }')
    theme, _ = load_theme(str(file), (tmp_path / "layouts", PROJECT / "layouts"))
    assert theme.cmyk_colours() == (CMYK,)
    assert theme.spot_inks == {}

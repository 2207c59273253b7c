"""QR codes: compact vector path, quiet zone, error correction, decodable."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from twinprint.errors import ContentError
from twinprint.layout.qr import QUIET_ZONE_MODULES, make_qr, qr_matrix, qr_svg

URL = "https://example.org/twinprint/nanjing-florence/silk-road"


def rasterise(code, scale: int = 6) -> Image.Image:
    """Draw the code's runs as pixels, the way the PDF stage draws them."""
    side = code.side_modules * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    q = QUIET_ZONE_MODULES
    for row, column, length in code.runs:
        draw.rectangle([(column + q) * scale, (row + q) * scale, (column + q + length) * scale - 1, (row + q + 1) * scale - 1], fill=0)
    return image


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_runs_decode_back_to_the_url(level):
    code = make_qr(URL, level)
    results = zxingcpp.read_barcodes(rasterise(code))
    assert [r.text for r in results] == [URL]
    assert results[0].ec_level == level


def test_path_is_runs_not_one_square_per_module():
    code = make_qr(URL)
    dark_modules = sum(sum(row) for row in qr_matrix(URL))
    assert len(code.runs) < dark_modules * 0.7
    assert code.svg_path().count("M") == len(code.runs)


def test_quiet_zone_is_at_least_four_modules():
    code = make_qr(URL)
    assert code.side_modules == code.modules + 8
    svg = qr_svg(URL)
    assert f'viewBox="0 0 {code.side_modules} {code.side_modules}"' in svg
    first_columns = [column for _, column, _ in code.runs]
    assert min(first_columns) == 0  # runs start at the symbol edge; the quiet zone is added around it


def test_higher_error_correction_needs_more_modules():
    assert make_qr(URL, "H").modules > make_qr(URL, "L").modules


def test_too_long_for_a_qr_code_is_a_clear_error():
    with pytest.raises(ContentError, match="do not fit in a QR code at error correction H"):
        make_qr("https://example.org/" + "x" * 3000, "H")


def test_unknown_error_correction_level():
    with pytest.raises(ContentError, match="expected one of L, M, Q, H"):
        make_qr(URL, "X")


@pytest.mark.parametrize("level", ["L", "M", "H"])
def test_fast_mask_choice_matches_qrcode_exactly(level):
    """Same matrix, module for module, as qrcode's own (slow) mask search, small and large versions."""
    import random
    import string

    import qrcode

    rng = random.Random(level)
    constant = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M, "H": qrcode.constants.ERROR_CORRECT_H}[level]
    for length in (5, 20, 45, 90, 160, 300):
        url = "https://example.org/" + "".join(rng.choice(string.ascii_letters + "/-_?=&%") for _ in range(length))
        reference = qrcode.QRCode(error_correction=constant, border=0)
        reference.add_data(url)
        reference.make(fit=True)
        assert qr_matrix(url, level) == [list(row) for row in reference.get_matrix()], (level, length)


def test_dense_codes_drop_error_correction_before_they_grow():
    from twinprint.layout.qr import TARGET_MODULE_MM, fit_qr

    roomy = fit_qr(URL, 40.0, "M")
    assert roomy.error_correction == "M" and roomy.side_mm == 40.0 and roomy.module_mm >= TARGET_MODULE_MM
    # 44 bytes: version 4 at M (33 modules + quiet zone = 41), version 3 at L (29 + 8 = 37).
    short = "https://example.org/twinprint/nf/silk-road-x"
    assert (make_qr(short, "L").modules, make_qr(short, "M").modules) == (29, 33)
    lowered = fit_qr(short, 28.0, "M")
    assert lowered.error_correction == "L" and lowered.side_mm == 28.0 and lowered.module_mm >= TARGET_MODULE_MM
    grown = fit_qr(URL, 24.0, "M")  # 57 bytes: version 4 at L and M alike, so M is kept and the side grows
    assert grown.error_correction == "M" and grown.side_mm == pytest.approx(41 * TARGET_MODULE_MM, abs=0.01)


def test_zbar_reads_a_code_at_the_target_module_after_a_blur():
    """The second decoder (zbar, independent of zxing) on a 150-dpi raster blurred by 1 px."""
    from PIL import ImageFilter
    from pyzbar import pyzbar

    from twinprint.layout.qr import TARGET_MODULE_MM

    code = make_qr(URL)
    pixels_per_module = TARGET_MODULE_MM / 25.4 * 150
    image = rasterise(code, 8).resize((round(code.side_modules * pixels_per_module),) * 2, Image.Resampling.BOX)
    blurred = image.filter(ImageFilter.GaussianBlur(1))
    assert [s.data.decode() for s in pyzbar.decode(blurred, symbols=[pyzbar.ZBarSymbol.QRCODE])] == [URL]

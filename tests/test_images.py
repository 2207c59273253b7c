"""Image checks: decompression bombs, corrupt and mislabelled files, SVG references, all with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from badimages import bomb_png, jpeg_bytes, noise_png, truncated_png

from twinprint.content.images import MAX_IMAGE_PIXELS, check_image
from twinprint.content.sanitise import UnsafeReference

SVG_OK = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">' \
         '<defs><rect id="r" width="5" height="5"/></defs><use xlink:href="#r"/>{extra}</svg>'


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "demo" / "images").mkdir(parents=True)
    return tmp_path / "demo"


def problem(folder: Path, name: str, data: bytes | str) -> UnsafeReference:
    path = folder / "images" / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    with pytest.raises(UnsafeReference) as caught:
        check_image(f"images/{name}", folder)
    assert f"images/{name}" in caught.value.message
    return caught.value


def test_good_images_pass(folder):
    for name, data in {"a.png": noise_png(), "b.jpg": jpeg_bytes(), "c.jpeg": jpeg_bytes(), "d.svg": SVG_OK.format(extra="")}.items():
        (folder / "images" / name).write_bytes(data.encode() if isinstance(data, str) else data)
        assert check_image(f"images/{name}", folder) == (folder / "images" / name).resolve()


def test_decompression_bomb_is_refused_before_decoding(folder):
    data = bomb_png(10_000, 10_000)
    assert len(data) < 50_000 and 10_000 * 10_000 > MAX_IMAGE_PIXELS
    error = problem(folder, "huge.png", data)
    assert error.code == "image-too-large" and f"more than {MAX_IMAGE_PIXELS}" in error.message


def test_bomb_past_pillows_own_limit_is_reported_the_same_way(folder):
    error = problem(folder, "huger.png", bomb_png(20_000, 20_000))
    assert error.code == "image-too-large"


def test_truncated_image_is_corrupt(folder):
    assert problem(folder, "cut.png", truncated_png()).code == "corrupt-image"


def test_text_named_png_is_not_an_image(folder):
    assert problem(folder, "notes.png", "just some text\n").code == "corrupt-image"


def test_png_named_jpeg_is_mislabelled(folder):
    error = problem(folder, "photo.jpg", noise_png())
    assert error.code == "mislabelled-image" and "PNG" in error.message and "JPEG" in error.message


def test_png_named_svg_is_mislabelled(folder):
    assert problem(folder, "drawing.svg", noise_png()).code == "corrupt-image"


def test_html_named_svg_is_mislabelled(folder):
    assert problem(folder, "page.svg", "<html><body>x</body></html>").code == "mislabelled-image"


def test_other_file_kinds_are_refused(folder):
    assert problem(folder, "doc.pdf", b"%PDF-1.7\n").code == "not-an-image"


@pytest.mark.parametrize("extra, code", [
    ('<image href="file:///etc/passwd" width="5" height="5"/>', "svg-reference"),
    ('<image xlink:href="../../../../etc/passwd" width="5" height="5"/>', "svg-reference"),
    ('<image href="http://169.254.169.254/latest/meta-data/" width="5" height="5"/>', "svg-reference"),
    ('<rect style="fill: url(file:///etc/passwd)" width="5" height="5"/>', "svg-reference"),
    ('<style>@import "https://example.org/x.css";</style>', "svg-reference"),
    ('<style>rect { fill: url(http://169.254.169.254/) }</style>', "svg-reference"),
])
def test_svg_may_not_refer_outside_the_folder(folder, extra, code):
    assert problem(folder, "evil.svg", SVG_OK.format(extra=extra)).code == code


def test_svg_may_refer_to_files_beside_it(folder):
    (folder / "images" / "dot.png").write_bytes(noise_png(4, 4))
    (folder / "images" / "ok.svg").write_text(SVG_OK.format(extra='<image href="dot.png" width="5" height="5"/>'), encoding="utf-8")
    assert check_image("images/ok.svg", folder)


def test_svg_entities_are_refused(folder):
    laughs = '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' \
             '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    assert problem(folder, "laughs.svg", laughs).code == "svg-entities"


def test_svg_with_a_plain_doctype_passes(folder):
    doctype = '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" ' \
              '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + SVG_OK.format(extra="")
    (folder / "images" / "exported.svg").write_text(doctype, encoding="utf-8")
    assert check_image("images/exported.svg", folder)


def test_an_edited_image_is_checked_again(folder):
    path = folder / "images" / "a.png"
    path.write_bytes(noise_png())
    check_image("images/a.png", folder)
    path.write_bytes(truncated_png())
    with pytest.raises(UnsafeReference):
        check_image("images/a.png", folder)


# --- scaling rasters before WeasyPrint (content/rasters.py) -------------------------------------

def photo_png(size: tuple[int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(out, "PNG")
    return out.getvalue()


def test_a_raster_larger_than_its_page_can_print_is_scaled_once_and_cached(tmp_path: Path):
    import io

    from PIL import Image

    from twinprint.content import rasters

    scaler = rasters.scaler_for("screen", 210, 297, tmp_path)
    assert (scaler.max_width_px, scaler.max_height_px) == (1240, 1754)  # A4 at 150 dpi
    data = photo_png((6000, 4000))
    scaled = scaler.scale(Path("photo.png"), data)
    with Image.open(io.BytesIO(scaled)) as image:
        assert image.format == "JPEG" and image.size == (1240, 827)
    cached = list((tmp_path / rasters.CACHE_FOLDER).iterdir())
    assert len(cached) == 1 and cached[0].read_bytes() == scaled
    rasters._MEMORY.clear()
    cached[0].write_bytes(b"from the cache")  # a second document reads the cache, not the image
    try:
        assert scaler.scale(Path("photo.png"), data) == b"from the cache"
        assert scaler.scale(Path("photo.png"), photo_png((6000, 3999))) != b"from the cache"  # keyed by content
    finally:
        rasters._MEMORY.clear()  # the planted bytes must not reach another test's render


def test_print_keeps_up_to_450_dpi_and_small_images_pass_untouched(tmp_path: Path):
    from twinprint.content import rasters

    data = photo_png((2400, 1600))
    assert rasters.scaler_for("print", 210, 297, tmp_path).scale(Path("a.png"), data) == data  # 450 dpi: 3720 px
    assert rasters.scaler_for("screen", 420, 594, tmp_path).scale(Path("a.png"), data) == data  # A2 at 150 dpi: 2480 px
    transparent = rasters.scaler_for("screen", 100, 100, None).scale(Path("a.png"), noise_png())
    assert transparent == noise_png() or transparent[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_a_6000_px_photo_reaches_the_screen_pdf_at_150_dpi_of_its_page(tmp_path: Path):
    import subprocess

    from conftest import PROJECT_ROOT
    from twinprint.build import BuildRequest, build_document

    folder = tmp_path / "photo"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "photo.png").write_bytes(photo_png((6000, 4000)))
    (folder / "exhibit.yaml").write_text(
        "kind: exhibition\ntitle: One photograph\ncities:\n  - {name: A, country: B}\n  - {name: C, country: D}\n"
        "twinned_since: 1980\nsections:\n  - id: one\n    title: One\n    figures:\n"
        "      - {id: photo, image: images/photo.png, caption: A photograph, alt: A grey disc}\n", encoding="utf-8")
    result = build_document(BuildRequest(folder, "catalogue", "en", tmp_path / "out", PROJECT_ROOT))
    # Read back with poppler: every embedded image is at most A4's long side at 150 dpi.
    rows = subprocess.run(["pdfimages", "-list", str(result.output)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    sizes = [(int(row.split()[3]), int(row.split()[4])) for row in rows]
    assert sizes and all(max(size) <= 1754 for size in sizes), sizes
    # What a finding about a placed image needs: its file and field, matched by the pixels rendered.
    from twinprint.content.load import load_exhibit
    from twinprint.content.rasters import ImageSource, image_sources

    sources = image_sources(load_exhibit(folder), folder, result.rendered.image_sizes)
    assert sources == [ImageSource(1240, 827, "images/photo.png", "sections[0].figures[0].image")]

"""Preflight names a low-resolution image's content file and field, not only its page."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from twinprint.build import BuildRequest, build_document
from twinprint.prepress.image_sources import content_images, image_source
from twinprint.prepress.preflight import PreflightFailed

from conftest import CONTENT, PROJECT_ROOT


def test_image_fields_are_matched_by_pixel_size(tmp_path):
    (tmp_path / "images").mkdir()
    Image.new("RGB", (320, 200), "teal").save(tmp_path / "images" / "a.png")
    texts = (("sections[0].figures[0].image", "images/a.png"), ("sections[0].figures[1].image", "images/missing.jpg"),
             ("title", "Not an image"), ("sections[1].figures[0].image", "../outside.png"))
    images = content_images(texts, tmp_path)
    assert images == (("sections[0].figures[0].image", "images/a.png", 320, 200),)
    assert image_source(images, 320, 200) == "; file images/a.png, field sections[0].figures[0].image"
    assert image_source(images, 321, 200) == ""


@pytest.mark.slow
def test_preflight_names_the_low_resolution_image_file_and_field(tmp_path):
    """Plant a 240 px photo as the report's hero figure (printed some 180 mm wide: about 34 dpi)."""
    content = tmp_path / "nanjing-florence"
    shutil.copytree(CONTENT / "nanjing-florence", content)
    Image.new("RGB", (240, 160), "teal").save(content / "images" / "photo.png")
    exhibit = content / "exhibit.yaml"
    exhibit.write_text(exhibit.read_text(encoding="utf-8").replace("images/bridge-and-wall.svg", "images/photo.png"), encoding="utf-8")
    request = BuildRequest(content, "report", "en", tmp_path / "build", PROJECT_ROOT, profile="print")
    with pytest.raises(PreflightFailed) as failed:
        build_document(request)
    (low,) = [f for f in failed.value.report.errors if f.check == "images"]
    assert low.pages == (1,)
    assert low.message.endswith("(under 150); file images/photo.png, field sections[1].figures[0].image"), low.message

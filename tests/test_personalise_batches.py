"""Personalised runs larger than one layer batch: layers rendered 100 recipients at a time, one merged stream."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

import twinprint.personalise as personalise_module
from corpus import recipients_csv
from pdfcheck import decode_qr_codes, outputs_in
from twinprint.build import BuildRequest, request_design
from twinprint.content.load import load_exhibit
from twinprint.errors import ContentError
from twinprint.personal_body import body_folder
from twinprint.personalise import LAYER_BATCH, personalise, read_recipients

SEED = "nanjing-florence"
COPIES = 2 * LAYER_BATCH + 10  # three layer batches, the last one short


def booklet(project_root: Path, output: Path) -> BuildRequest:
    return BuildRequest(project_root / "content" / SEED, "booklet", "en", output, project_root, preflight=False)


def texts_by_page(pdf: Path) -> list[str]:
    """poppler's text of every page, in one pdftotext run (pages end with a form feed)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def page_raster(pdf: bytes, page: int, folder: Path) -> Image.Image:
    (folder / "in.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-png", "-singlefile", "-f", str(page + 1), "-l", str(page + 1),
                    str(folder / "in.pdf"), str(folder / "page")], check=True)
    return Image.open(folder / "page.png").copy()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> dict[str, object]:
    """Two layer batches of recipients of every script personalised into one merged stream, the layer batch sizes recorded."""
    root = tmp_path_factory.mktemp("batches")
    (root / "people.csv").write_text(recipients_csv(COPIES), encoding="utf-8")
    recipients = read_recipients(root / "people.csv")
    sizes: list[int] = []
    render_layer = personalise_module._render_layer

    def recording(exhibit, request, batch, design):  # type: ignore[no-untyped-def]
        sizes.append(len(batch))
        return render_layer(exhibit, request, batch, design)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(personalise_module, "_render_layer", recording)
        made = personalise(booklet(project_root, root / "out"), recipients, merge=True)
    return {"recipients": recipients, "made": made, "sizes": sizes}


@pytest.mark.slow
def test_the_layer_is_rendered_in_batches_of_at_most_the_batch_size(run: dict) -> None:
    assert run["sizes"] == [LAYER_BATCH, LAYER_BATCH, 10]


@pytest.mark.slow
def test_every_copy_of_the_merged_stream_carries_its_recipient(run: dict) -> None:
    made = run["made"]
    merged = made.outputs[0]
    subprocess.run(["qpdf", "--check", str(merged)], check=True, capture_output=True)
    pages = texts_by_page(merged)
    per_copy = made.pages_per_copy
    assert len(pages) == per_copy * COPIES
    body = [index for index in range(per_copy) if index not in made.personal_pages]
    for number, recipient in enumerate(run["recipients"]):
        copy = pages[number * per_copy:(number + 1) * per_copy]
        for index in made.personal_pages:
            # CJK names are broken over lines without spaces: compare without white space.
            assert "".join(recipient.name.split()) in "".join(copy[index].split()), (number, index)
        assert [copy[i] for i in body] == [pages[i] for i in body], number
        assert recipient.url in "".join(copy[made.personal_pages[2]].split()), number
    last_personal = (COPIES - 1) * per_copy + made.personal_pages[2]
    assert decode_qr_codes(merged, last_personal) == [run["recipients"][COPIES - 1].url]


@pytest.mark.slow
def test_the_copies_share_the_body_objects(run: dict) -> None:
    made = run["made"]
    with pikepdf.open(made.outputs[0]) as pdf:
        objects = len(pdf.objects)
        body_page = next(i for i in range(made.pages_per_copy) if i not in made.personal_pages)
        last = (COPIES - 1) * made.pages_per_copy + body_page
        assert pdf.pages[body_page].obj.Contents.objgen == pdf.pages[last].obj.Contents.objgen
    with pikepdf.open(made.outputs[0]) as pdf:
        one_copy = pikepdf.new()
        one_copy.pages.extend(pdf.pages[:made.pages_per_copy])
        out = io.BytesIO()
        one_copy.save(out)
    with pikepdf.open(io.BytesIO(out.getvalue())) as single:
        single_objects = len(single.objects)
    # Each further copy adds its page dictionaries and its layer's few objects, never the body's
    # streams, fonts and images again.
    assert objects < COPIES * single_objects / 4, (objects, single_objects)
    assert made.outputs[0].stat().st_size < COPIES * len(out.getvalue()) / 10


@pytest.mark.slow
def test_batched_layers_give_the_pages_of_one_layer_document(project_root: Path, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(recipients_csv(6, seed=5), encoding="utf-8")
    recipients = read_recipients(tmp_path / "people.csv")
    request = booklet(project_root, tmp_path / "out")
    exhibit = load_exhibit(request.content_dir)
    design = request_design(personalise_module._with_variables(request, recipients[0], "static"))
    whole, _ = personalise_module._render_layer(exhibit, request, recipients, design)
    first, _ = personalise_module._render_layer(exhibit, request, recipients[:4], design)
    second, _ = personalise_module._render_layer(exhibit, request, recipients[4:], design)
    per_copy = 3
    for number, (batch, in_batch) in {0: (first, 0), 3: (first, 3), 4: (second, 0), 5: (second, 1)}.items():
        for offset in range(per_copy):
            expected = page_raster(whole, number * per_copy + offset, tmp_path)
            got = page_raster(batch, in_batch * per_copy + offset, tmp_path)
            assert expected.size == got.size
            assert ImageChops.difference(expected, got).getbbox() is None, (number, offset)


@pytest.mark.slow
def test_a_row_of_the_second_batch_the_fonts_cannot_draw_is_named_and_nothing_is_written(project_root: Path, tmp_path: Path) -> None:
    lines = recipients_csv(LAYER_BATCH + 20).splitlines()
    lines[LAYER_BATCH + 5] = "محمد بن عبد الله,Delegate,,https://example.org/twinprint/d/arabic,"
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        personalise(booklet(project_root, tmp_path / "out"), read_recipients(tmp_path / "people.csv"), merge=True)
    assert caught.value.message.startswith(f"{tmp_path / 'people.csv'}:{LAYER_BATCH + 6}: name: characters the fonts cannot draw")
    assert not outputs_in(tmp_path / "out")
    # The body is kept for the rerun with the row corrected (personal_body.py): not an output.
    assert [p.suffix for p in sorted(body_folder(booklet(project_root, tmp_path / "out")).iterdir())] == [".json", ".pdf"]

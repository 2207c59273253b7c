"""Personalised booklets: recipients CSV, copies equal to from-scratch renders, a merged stream sharing the body."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from pdfcheck import decode_qr_codes, outputs_in, page_texts
from twinprint.build import BuildRequest, build_document
from twinprint.cli import main
from twinprint.errors import BuildError, ContentError
from twinprint.personalise import Recipient, personalise, read_recipients

SEED = "nanjing-florence"
RECIPIENTS_CSV = """\
name,title,organisation,url,delegation
Élise Moreau-Lefèvre,Curator,Arno Heritage Trust,https://example.org/twinprint/delegates/e1,Florence delegation
Wei Zhao,,Nanjing Friendship Society,https://example.org/twinprint/delegates/w2,Nanjing delegation
Prof. Tommaso Venturi,Professor of Urban History,,https://example.org/twinprint/delegates/t3,
"""


def request(project_root: Path, output: Path, **fields: object) -> BuildRequest:
    return BuildRequest(project_root / "content" / SEED, "booklet", "en", output, project_root, preflight=False, **fields)  # type: ignore[arg-type]


def test_the_sample_recipients_are_valid(project_root: Path) -> None:
    recipients = read_recipients(project_root / "content" / "delegates.csv")
    assert len(recipients) == 100 and len({r.name for r in recipients}) == 100
    assert all(r.url.startswith("https://example.org/") for r in recipients)
    assert recipients[0].variables()["recipient_delegation"].endswith("delegation")  # the extra column


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("name,title\nAnna,Curator\n", ":1: url:", "required column is missing"),
        ("name,url\nAnna,ftp://example.org/a\n", ":2: url:", "expected an http(s) link"),
        ("name,url\nAnna,https://example.org/a\n,https://example.org/b\n", ":3: name:", "expected a value"),
        ("name,url\nAnna,https://example.org/a,extra\n", ":2:", "expected 2 columns"),
        ("name,url,Table No\nAnna,https://example.org/a,4\n", ":1: table no:", "lowercase letters"),
        ("name,url\n", ":2:", "at least one recipient"),
    ],
)
def test_recipient_problems_name_file_line_and_column(tmp_path: Path, text: str, where: str, message: str) -> None:
    file = tmp_path / "people.csv"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        read_recipients(file)
    assert caught.value.message.startswith(f"{file}{where}") and message in caught.value.message, caught.value.message


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> dict[str, object]:
    """Three personalised copies, the same merged, and each copy built from scratch."""
    root = tmp_path_factory.mktemp("personalise")
    (root / "people.csv").write_text(RECIPIENTS_CSV, encoding="utf-8")
    recipients = read_recipients(root / "people.csv")
    copies = personalise(request(project_root, root / "copies"), recipients)
    assert main(["--project", str(project_root), "personalise", str(project_root / "content" / SEED),
                 "--recipients", str(root / "people.csv"), "--merge", "-o", str(root / "merged")]) == 0
    scratch = [build_document(request(project_root, root / f"scratch{i}", variables=tuple(sorted(r.variables().items())))).output
               for i, r in enumerate(recipients)]
    return {"recipients": recipients, "copies": copies, "scratch": scratch,
            "merged": root / "merged" / SEED / "booklet-personal.en.pdf"}


@pytest.mark.slow
def test_every_page_equals_a_from_scratch_render(made: dict) -> None:
    for copy, scratch in zip(made["copies"].outputs, made["scratch"]):
        assert page_texts(copy) == page_texts(scratch), copy.name


@pytest.mark.slow
def test_personal_pages_carry_the_recipient_and_the_body_does_not_change(made: dict) -> None:
    recipients: list[Recipient] = made["recipients"]
    copies = made["copies"]
    assert copies.personal_pages == [0, 1, copies.pages_per_copy - 2]  # cover, inside cover, the page before the back cover
    texts = [page_texts(path) for path in copies.outputs]
    for recipient, pages in zip(recipients, texts):
        for index in copies.personal_pages:
            assert recipient.name in " ".join(pages[index].split())
    body = [i for i in range(copies.pages_per_copy) if i not in copies.personal_pages]
    # Page numbers (and everything else) of the shared pages are the same in every copy.
    assert all([pages[i] for i in body] == [texts[0][i] for i in body] for pages in texts)
    assert "Curator, Arno Heritage Trust" in texts[0][1] and "Florence delegation" in texts[0][copies.personal_pages[2]]


@pytest.mark.slow
def test_each_copy_has_its_own_qr_code(made: dict) -> None:
    personal_qr_page = made["copies"].personal_pages[2]
    for recipient, copy in zip(made["recipients"], made["copies"].outputs):
        assert decode_qr_codes(copy, personal_qr_page) == [recipient.url]
    subprocess.run(["qpdf", "--check", str(made["copies"].outputs[0])], check=True, capture_output=True)


@pytest.mark.slow
def test_merged_stream_holds_every_copy_and_shares_the_body(made: dict) -> None:
    merged: Path = made["merged"]
    copies = made["copies"]
    subprocess.run(["qpdf", "--check", str(merged)], check=True, capture_output=True)
    texts = page_texts(merged)
    per_copy = copies.pages_per_copy
    assert len(texts) == per_copy * copies.copies
    for index, copy in enumerate(copies.outputs):
        assert texts[index * per_copy:(index + 1) * per_copy] == page_texts(copy)
    with pikepdf.open(merged) as pdf:
        body_page = next(i for i in range(per_copy) if i not in copies.personal_pages)
        first, second = pdf.pages[body_page].obj, pdf.pages[per_copy + body_page].obj
        assert first.objgen != second.objgen and first.Contents.objgen == second.Contents.objgen
    assert merged.stat().st_size < sum(path.stat().st_size for path in copies.outputs)


def test_a_layout_without_personal_pages_is_refused(project_root: Path, tmp_path: Path) -> None:
    people = [Recipient(2, "Anna Rossi", "https://example.org/a")]
    with pytest.raises(BuildError) as caught:
        personalise(BuildRequest(project_root / "content" / SEED, "catalogue", "en", tmp_path, project_root, preflight=False), people)
    assert "personal pages" in caught.value.message
    assert not outputs_in(tmp_path)


def test_a_rerun_takes_the_body_kept_in_the_output_folder_until_an_input_changes(project_root: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import shutil

    import twinprint.personalise as personalise_module
    from twinprint.personal_body import body_folder

    project = tmp_path / "project"
    shutil.copytree(project_root / "content" / SEED, project / "content" / SEED)
    bodies: list[int] = []
    render_fitted = personalise_module.render_fitted
    monkeypatch.setattr(personalise_module, "render_fitted", lambda *a, **k: bodies.append(1) or render_fitted(*a, **k))
    csv = tmp_path / "people.csv"

    def run(text: str) -> list[str]:
        csv.write_text(text, encoding="utf-8")
        made = personalise(request(project, tmp_path / "build"), read_recipients(csv), merge=True)
        return page_texts(made.outputs[0])

    first = run(RECIPIENTS_CSV)
    edited = run(RECIPIENTS_CSV.replace("Prof. Tommaso Venturi", "Prof. Tommaso Venturini"))
    per_copy = len(first) // 3
    assert len(bodies) == 1  # the second run laid out only the recipients' fields
    assert edited[:-per_copy] == first[:-per_copy] and "Venturini" not in " ".join(first)
    assert "Venturini" in " ".join(edited[-per_copy:]) and edited[-per_copy + 5] == first[-per_copy + 5]  # a shared page
    exhibit = project / "content" / SEED / "exhibit.yaml"
    exhibit.write_text(exhibit.read_text(encoding="utf-8").replace("Sparkling", "Glittering"), encoding="utf-8")
    assert "Glittering" in " ".join(run(RECIPIENTS_CSV)) and len(bodies) == 2
    record = next(body_folder(request(project, tmp_path / "build")).glob("*.json"))
    kept = json.loads(record.read_text(encoding="utf-8"))
    kept["fetched"] = {url: "0" * 64 for url in kept["fetched"]}  # as if a font or image it read had changed
    record.write_text(json.dumps(kept), encoding="utf-8")
    run(RECIPIENTS_CSV)
    assert len(bodies) == 3 and len(list(record.parent.iterdir())) == 2

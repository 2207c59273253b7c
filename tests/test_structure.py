"""Tagged structure of the accessible and archive files (ISO 14289-1), read back with pikepdf and pdfium.

veraPDF is not reachable here: each clause we rely on is a named test. Each
preflight guard has a test that plants its defect in a real, mended file.
"""

from __future__ import annotations

import io

import pikepdf
import pypdfium2
import pytest

from twinprint.prepress.preflight import PreflightContext, preflight_pdf
from twinprint.prepress.structure import (all_elements, element_key, element_page_index, page_marks, page_numbers, page_parents,
                                          reachable_elements)

pytestmark = pytest.mark.slow


def structure_findings(pdf_bytes: bytes, profile: str = "accessible") -> list:
    report = preflight_pdf(pdf_bytes, "tagged.pdf", PreflightContext(profile=profile, expected_qr=()))
    return [f for f in report.findings if f.check == "structure"]


def saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def tagged(build_once) -> dict[str, bytes]:
    """Catalogue (contents page, links) and report (table) in the accessible profile, the catalogue as archive."""
    return {
        "catalogue": build_once("nanjing-florence", profile="accessible").output.read_bytes(),
        "report": build_once("nanjing-florence", layout="report", profile="accessible").output.read_bytes(),
        "archive": build_once("nanjing-florence", profile="archive").output.read_bytes(),
    }


# --- the clauses, on the files as built ----------------------------------------------------------

@pytest.mark.parametrize("name", ["catalogue", "report", "archive"])
def test_iso_14289_1_7_1_every_element_reached_and_all_content_tagged_or_artifact(tagged, name):
    with pikepdf.open(io.BytesIO(tagged[name])) as pdf:
        reached = {element_key(e) for e in reachable_elements(pdf)}
        assert reached and {element_key(e) for e in all_elements(pdf)} <= reached
        parents = page_parents(pdf)
        for index, page in enumerate(pdf.pages):
            marks = page_marks(page, index)
            assert marks.unmarked_paint == 0, (index, marks.unmarked_operators)
            entries = parents[int(page.obj.StructParents)]
            assert all(element_key(entries[mcid]) in reached for mcid in marks.mcids)
        # Running heads and folios (margin boxes) are pagination artifacts now, still drawn.
        content = pikepdf.unparse_content_stream(pikepdf.parse_content_stream(pdf.pages[2]))
        assert b"/Artifact <<\n  /Type /Pagination\n>> BDC" in content or b"/Artifact << /Type /Pagination >> BDC" in content
    assert structure_findings(tagged[name], "archive" if name == "archive" else "accessible") == []


def test_iso_14289_1_7_5_table_headers_have_a_scope_and_cells_name_their_headers(tagged):
    with pikepdf.open(io.BytesIO(tagged["report"])) as pdf:
        elements = reachable_elements(pdf)
        headers = [e for e in elements if e.S == "/TH"]
        cells = [e for e in elements if e.S == "/TD"]
        assert headers and cells
        ids = {str(e.ID): e for e in headers}
        assert all(str(e.A.Scope) == "/Row" for e in headers)  # the chronology: a date heads each row
        assert all(len(e.A.Headers) == 1 and str(e.A.Headers[0]) in ids for e in cells)
        id_tree = pdf.Root.StructTreeRoot.IDTree.Names
        assert {str(id_tree[i]) for i in range(0, len(id_tree), 2)} >= set(ids)


def test_iso_14289_1_7_18_5_links_are_described_by_their_text(tagged):
    document = pypdfium2.PdfDocument(tagged["catalogue"])
    contents_page_text = document[1].get_textpage().get_text_range()
    document.close()
    with pikepdf.open(io.BytesIO(tagged["catalogue"])) as pdf:
        links = [a for a in pdf.pages[1].obj.Annots if a.Subtype == "/Link"]
        assert links
        for link in links:
            text = str(link.Contents)
            assert text != str(link.get("/Dest")) and text.split()[1] in contents_page_text  # "01 Tales of friendship 3"


# --- each guard fires on its planted defect --------------------------------------------------------

def test_preflight_reports_an_element_the_root_does_not_reach(tagged):
    """Unlink a paragraph from its parent, as WeasyPrint leaves margin boxes: both of 7.1's findings, on its page."""
    with pikepdf.open(io.BytesIO(tagged["report"])) as pdf:
        paragraph = next(e for e in reachable_elements(pdf) if e.S == "/P" and e.get("/Pg") == pdf.pages[1].obj)
        parent = paragraph.P
        parent.K = pikepdf.Array([kid for kid in parent.K if not (isinstance(kid, pikepdf.Dictionary) and kid.objgen == paragraph.objgen)])
        planted = saved(pdf)
    messages = {f.message.split(":")[0]: f.pages for f in structure_findings(planted)}
    unreached = next(pages for message, pages in messages.items() if "structure elements the StructTreeRoot does not reach" in message)
    orphaned = next(pages for message, pages in messages.items() if message.startswith("marked content whose structure element"))
    assert unreached == orphaned == (2,)


def test_preflight_reports_content_neither_tagged_nor_artifact(tagged):
    with pikepdf.open(io.BytesIO(tagged["report"])) as pdf:
        pdf.pages[2].contents_add(pdf.make_stream(b"q 0 g 10 10 50 50 re f Q\n"))
        planted = saved(pdf)
    (finding,) = [f for f in structure_findings(planted) if "outside any tagged or artifact sequence" in f.message]
    assert finding.severity == "error" and finding.pages == (3,) and "operators f" in finding.message


def test_preflight_reports_table_headers_without_scope(tagged):
    with pikepdf.open(io.BytesIO(tagged["report"])) as pdf:
        header = next(e for e in reachable_elements(pdf) if e.S == "/TH")
        del header.A["/Scope"]
        page = element_page_index(pdf, header, page_numbers(pdf)) + 1
        planted = saved(pdf)
    (finding,) = [f for f in structure_findings(planted) if "(TH) without /Scope" in f.message]
    assert finding.message.startswith("1 table header cells") and finding.pages == (page,)


def test_preflight_reports_links_described_by_their_anchor_slug(tagged):
    """The defect as WeasyPrint wrote it: /Contents is the anchor name the link points to."""
    with pikepdf.open(io.BytesIO(tagged["catalogue"])) as pdf:
        for link in pdf.pages[1].obj.Annots:
            link.Contents = link.Dest
        planted = saved(pdf)
    (finding,) = [f for f in structure_findings(planted) if "anchor name" in f.message]
    assert finding.severity == "error" and finding.pages == (2,)


def test_an_accessible_file_without_structure_is_an_error(tagged):
    with pikepdf.open(io.BytesIO(tagged["report"])) as pdf:
        del pdf.Root["/StructTreeRoot"]
        planted = saved(pdf)
    assert [f.message for f in structure_findings(planted)] == [
        "no structure tree: the accessible profile needs a tagged PDF (ISO 14289-1 7.1)"]

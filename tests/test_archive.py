"""The archive profile (PDF/A-3a + PDF/UA-1): dates, typed sources, both claims; document dates and reproducibility.

veraPDF is not reachable here: the ISO 19005-3 clauses relied on are named tests,
read back with pikepdf (not the code that wrote them).
"""

from __future__ import annotations

import datetime as dt

import pikepdf
import pytest

from twinprint.prepress.docdates import document_time, pdf_date, stamp_dates, xmp_date


@pytest.fixture(scope="module")
def archive(build_once):
    return build_once("nanjing-florence", profile="archive")


@pytest.mark.slow
def test_iso_19005_3_6_6_dates_in_info_and_xmp_agree(archive):
    with pikepdf.open(archive.output) as pdf:
        meta = pdf.open_metadata()
        created, modified = (pikepdf.models.metadata.decode_pdf_date(str(pdf.docinfo[key])) for key in ("/CreationDate", "/ModDate"))
        assert dt.datetime.fromisoformat(meta["xmp:CreateDate"]) == created
        assert dt.datetime.fromisoformat(meta["xmp:ModifyDate"]) == modified
        assert dt.datetime.fromisoformat(meta["xmp:MetadataDate"]) == modified
        assert abs((dt.datetime.now(dt.timezone.utc) - modified).total_seconds()) < 3600


@pytest.mark.slow
def test_iso_19005_3_6_8_sources_carry_their_mime_type_and_relationship(archive):
    """6.8: each embedded file names its MIME type and /AFRelationship; YAML is application/yaml (RFC 9512)."""
    with pikepdf.open(archive.output) as pdf:
        types = {name: str(spec.obj.EF.F.Subtype) for name, spec in pdf.attachments.items()}
        relationships = {str(spec.obj.AFRelationship) for spec in pdf.attachments.values()}
        associated = {spec.objgen for spec in pdf.Root.AF}
        assert {spec.obj.objgen for spec in pdf.attachments.values()} == associated
    assert types["exhibit.yaml"] == "/application/yaml"
    assert {t for name, t in types.items() if name.endswith(".md")} == {"/text/markdown"}
    assert relationships == {"/Source"}


@pytest.mark.slow
def test_iso_14289_1_5_and_19005_3_6_6_the_archive_claims_pdf_ua_1_with_its_extension_schema(archive):
    """PDF/UA-1 beside PDF/A-3a in one file; pdfuaid is not a predefined XMP schema, so PDF/A needs it described."""
    with pikepdf.open(archive.output) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"], meta["pdfuaid:part"]) == ("3", "A", "1")
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>" in xmp
        assert pdf.Root.ViewerPreferences.DisplayDocTitle and pdf.Root.MarkInfo.Marked and str(pdf.Root.Lang) == "en"


def test_source_date_epoch_fixes_the_document_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    moment = document_time()
    assert moment == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    assert pdf_date(moment) == "D:20231114221320+00'00'" and xmp_date(moment) == "2023-11-14T22:13:20+00:00"
    pdf = pikepdf.new()
    stamp_dates(pdf, moment)
    assert str(pdf.docinfo["/ModDate"]) == str(pdf.docinfo["/CreationDate"]) == "D:20231114221320+00'00'"
    assert pdf.open_metadata()["xmp:ModifyDate"] == "2023-11-14T22:13:20+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    assert document_time().year >= 2024

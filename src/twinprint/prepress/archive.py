"""Finish an archive (PDF/A-3a + PDF/UA-1) or accessible file: dates, source attachments' types, the PDF/UA claim.

ISO 19005-3 6.6 wants the document's dates in Info and XMP alike; 6.8 wants each
embedded file to name its MIME type (/Subtype) and its relationship to the
document (/AFRelationship). Python's mimetypes does not know YAML, so WeasyPrint
writes exhibit.yaml as application/octet-stream: the registered type is
application/yaml (RFC 9512), Markdown's text/markdown (RFC 7763).
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pikepdf

from .docdates import document_time, stamp_dates

SOURCE_MIME_TYPES = {".yaml": "application/yaml", ".yml": "application/yaml", ".md": "text/markdown"}
# PDF/A accepts only predefined XMP schemas unless described (ISO 19005-3 6.6): pdfuaid is not predefined.
PDFUA_EXTENSION_SCHEMA = """<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">\
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>\
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">\
<pdfaProperty:name>part</pdfaProperty:name><pdfaProperty:valueType>Integer</pdfaProperty:valueType>\
<pdfaProperty:category>internal</pdfaProperty:category>\
<pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>\
</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"""


def type_source_attachments(pdf: pikepdf.Pdf) -> int:
    """Give each attached YAML and Markdown file its registered MIME type and /AFRelationship /Source."""
    typed = 0
    for name, attached in pdf.attachments.items():
        mime = SOURCE_MIME_TYPES.get(PurePosixPath(name).suffix.lower())
        if mime is None:
            continue
        spec = attached.obj
        spec.AFRelationship = pikepdf.Name.Source
        for stream in spec.EF.values():
            stream.Subtype = pikepdf.Name("/" + mime)
        typed += 1
    return typed


def claim_pdf_ua(pdf: pikepdf.Pdf) -> None:
    """Declare PDF/UA-1 in the XMP (ISO 14289-1 5), with the extension schema PDF/A needs for it."""
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfuaid:part"] = "1"
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    if "pdfaExtension:schemas" not in xmp:
        at = xmp.rindex("</rdf:RDF>")
        pdf.Root.Metadata.write((xmp[:at] + PDFUA_EXTENSION_SCHEMA + xmp[at:]).encode("utf-8"))
    pdf.Root.ViewerPreferences = pdf.Root.get("/ViewerPreferences", pikepdf.Dictionary())
    pdf.Root.ViewerPreferences.DisplayDocTitle = True


def finish_archive(pdf: pikepdf.Pdf, claim_ua: bool) -> None:
    """Dates in Info and XMP, typed source attachments, and (archive) the PDF/UA-1 claim beside PDF/A-3a."""
    stamp_dates(pdf, document_time())
    type_source_attachments(pdf)
    if claim_ua:
        claim_pdf_ua(pdf)

"""Document dates for Info and XMP: one moment, from SOURCE_DATE_EPOCH when set (reproducible builds), else now.

ISO 19005-3 6.6.3 wants Info and XMP to agree: CreationDate = xmp:CreateDate,
ModDate = xmp:ModifyDate; xmp:MetadataDate says when the metadata was written.
"""

from __future__ import annotations

import datetime as dt
import os

import pikepdf

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def document_time() -> dt.datetime:
    """The moment written into a document: SOURCE_DATE_EPOCH (seconds, UTC) if set and valid, else now (UTC)."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def pdf_date(moment: dt.datetime) -> str:
    """`D:20261201223000+00'00'` (PDF 32000-1 7.9.4)."""
    return moment.astimezone(dt.timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def stamp_dates(pdf: pikepdf.Pdf, modified: dt.datetime, created: dt.datetime | None = None) -> None:
    """Write creation and modification dates to Info and XMP alike; keep a creation date already there."""
    created_text = str(pdf.docinfo.get("/CreationDate", "")) if created is None else ""
    created_pdf = created_text or pdf_date(created or modified)
    pdf.docinfo["/CreationDate"] = pikepdf.String(created_pdf)
    pdf.docinfo["/ModDate"] = pikepdf.String(pdf_date(modified))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["xmp:CreateDate"] = xmp_date(_parse_pdf_date(created_pdf))
        meta["xmp:ModifyDate"] = xmp_date(modified)
        meta["xmp:MetadataDate"] = xmp_date(modified)


def _parse_pdf_date(text: str) -> dt.datetime:
    try:
        return pikepdf.models.metadata.decode_pdf_date(text)
    except (ValueError, TypeError):
        return document_time()

"""Step three: printing the packet HTML to a tagged PDF/A-3a file with WeasyPrint.

The PDF carries report.json and the source documents as attachments, so the
packet is self-contained: a reviewer can extract the exact inputs. The bytes
are reproducible: the only dates in the file (metadata, attachments, the
font subsets' ``head`` tables) come from the packet's instant, and
``SOURCE_DATE_EPOCH`` is set around ``write_pdf`` because font subsetting
reads the clock otherwise.

Why PDF/A-3a: level "a" is the archival standard's accessible level, so the
file is tagged (a structure tree of headings, tables with header cells,
figures with alternative text, lists), names its language and reads in
order; part 3 is the one that keeps arbitrary files as associated files,
which the attachments need. PDF/UA-1 asks for the same structure, but
WeasyPrint writes one standard per file and the archive's identification is
the one a records office checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from govkit.render.fetcher import SafeFetcher
from govkit.render.manifest import pdf_identifier

__all__ = ["PDF_VARIANT", "PdfAttachment", "source_date_epoch", "write_pdf"]

#: Tagged and archival (see the module's docstring); WeasyPrint tags the PDF for "a" levels.
PDF_VARIANT = "pdf/a-3a"


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    data: bytes
    description: str
    relationship: str = "Source"


@contextmanager
def source_date_epoch(instant: datetime) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to ``instant`` for the block, then restore it."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(instant.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _producer_finisher(producer: str) -> Any:
    """Name govkit as the producer, in the info dictionary and the XMP packet alike.

    PDF/A requires the two to agree, and WeasyPrint writes its own name in
    both; the XMP stream is still uncompressed when a finisher runs.
    """

    def finish(document: Any, pdf: Any) -> None:
        import pydyf
        from weasyprint import __version__ as weasy_version

        original = f"WeasyPrint {weasy_version}"
        meta_ref = pdf.catalog.get("Metadata")
        if meta_ref is None:
            return
        ref = meta_ref if isinstance(meta_ref, bytes) else str(meta_ref).encode()
        stream = pdf.objects[int(ref.split()[0])]
        old = f'Producer="{original}"'.encode()
        new = f'Producer="{producer}"'.encode()
        parts = list(stream.stream)
        if not any(old in p for p in parts if isinstance(p, bytes)):
            return
        stream.stream = [p.replace(old, new) if isinstance(p, bytes) else p for p in parts]
        pdf.info["Producer"] = pydyf.String(producer)

    return finish


def write_pdf(
    html: str,
    *,
    base_url: Path,
    fetcher: SafeFetcher,
    attachments: Sequence[PdfAttachment],
    instant: datetime,
    producer: str,
) -> bytes:
    """Print ``html`` to tagged PDF/A-3a bytes.

    Parameters
    ----------
    html
        The whole packet as one HTML document (title, description and dates in its head).
    base_url
        Folder relative URLs resolve against (the template folder).
    fetcher
        The only way WeasyPrint may read anything.
    attachments
        Files embedded in the PDF, dated ``instant``.
    instant
        The packet's date: attachment dates and SOURCE_DATE_EPOCH.
    producer
        The producer named in the PDF metadata.
    """
    from weasyprint import HTML, Attachment

    naive = instant.replace(tzinfo=None)
    embedded = [
        Attachment(
            string=a.data,
            name=a.name,
            description=a.description,
            created=naive,
            modified=naive,
            relationship=a.relationship,
            url_fetcher=fetcher,
        )
        for a in attachments
    ]
    identifier = pdf_identifier(html.encode("utf-8"))
    with source_date_epoch(instant):
        document = HTML(string=html, base_url=base_url.as_uri() + "/", url_fetcher=fetcher)
        data = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            attachments=embedded,
            pdf_identifier=identifier,
            finisher=_producer_finisher(producer),
        )
    return bytes(data)

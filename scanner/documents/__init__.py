"""Documents on file shares: Office files, PDFs, e-mail, HTML, archives and images (issue 17).

Reading yields located parts lazily; rewriting replaces text span by span keeping formatting::

    from scanner.documents import ReadOptions, read_document, rewrite_document
    for record in read_document("mail/2025-03.zip", Path("share/mail/2025-03.zip")):
        ...  # Part(path=mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1, kind="sheet", rows=...)
    rewrite_document("合同.docx", src, dst, rewrite=lambda text: mask(text))

Format-independent: the scanner's format files call ``read_document``/``rewrite_document`` and map
records to datasets; nothing here knows about detection, findings or policy.
"""

from __future__ import annotations

from scanner.documents.errors import DocumentError
from scanner.documents.limits import Limits
from scanner.documents.ocr import Ocr, tesseract_available
from scanner.documents.parts import Member, NotRead, Part, Record, Unreadable
from scanner.documents.paths import DocPath, format_id, parse_id
from scanner.documents.rewrite import RewriteResult, rewrite_document
from scanner.documents.walk import ReadOptions, read_document

__all__ = [
    "DocPath",
    "DocumentError",
    "Limits",
    "Member",
    "NotRead",
    "Ocr",
    "Part",
    "ReadOptions",
    "RewriteResult",
    "Record",
    "Unreadable",
    "format_id",
    "parse_id",
    "read_document",
    "rewrite_document",
    "tesseract_available",
]

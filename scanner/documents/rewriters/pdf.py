"""PDFs are refused: no library with an Apache-2.0-compatible licence redacts them truly.

True redaction removes the glyphs from the content stream; drawing a box over them leaves the
text extractable. PyMuPDF does it (``apply_redactions``) but is AGPL-3.0; pypdf (BSD) and pikepdf
(MPL-2.0) edit objects but have no text-to-glyph redaction; so the rewriter refuses, and an
unredacted copy never reaches OUTDIR.
"""

from __future__ import annotations

from scanner.documents.rewriter import Rewriter, refuse

REWRITER = Rewriter("pdf", (".pdf",), refuse("cannot redact PDF safely"))

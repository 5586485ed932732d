"""Images are refused: a copy would carry the scanned ID card unredacted."""

from __future__ import annotations

from scanner.documents.readers.image import SUFFIXES
from scanner.documents.rewriter import Rewriter, refuse

REWRITER = Rewriter("image", SUFFIXES, refuse("cannot redact image safely"))

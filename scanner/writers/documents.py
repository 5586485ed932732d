"""Anonymized documents: the source rewritten span by span into the output, or refused.

Every dataset of one document file (its text, its tables, its attachments) shares this writer.
Each is streamed through its job's transform (which is what counts rows and surfaces read
errors); the transform of a document job rewrites every text span by span
(``scanner.anonymize.document_job``), so the same function, applied to one text at a time, is
what ``rewrite_document`` passes every paragraph, cell, header and attachment through on commit.

Nothing is ever copied unredacted: a PDF or image that cannot really be redacted, a picture
inside an Office file or a member of unknown type (neither can be checked without ``--ocr``),
a traversal name or a bomb make the file fail with one line, and no output appears.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from scanner.connectors.base import Dataset
from scanner.documents import DocumentError, Limits, Ocr, rewrite_document
from scanner.documents.xls_to_xlsx import rewrite_xls_as_xlsx
from scanner.writers.base import FileWriter, Transform, WriterError

TEXT_SCHEMA = pa.schema([("text", pa.string())])


def text_rewrite(transform: Transform) -> Callable[[str], str]:
    """One text through a document job's transform: its ``text`` function (which leaves the row
    counts alone), else a one-row ``text`` batch."""
    direct = getattr(transform, "text", None)
    if callable(direct):
        return direct

    def rewrite(text: str) -> str:
        if not text.strip():
            return text
        out = transform(pa.RecordBatch.from_pydict({"text": [text]}, schema=TEXT_SCHEMA))
        value = out.column("text")[0].as_py()
        return text if value is None else str(value)

    return rewrite


class DocumentWriter(FileWriter):
    """Rewrites the document file ``source`` (dataset id ``ds.meta["document"]``) into ``final``."""

    def __init__(self, final: Path, source: Path, ds: Dataset) -> None:
        super().__init__(final, source)
        self.name = ds.meta.get("document", ds.id)
        options = getattr(ds.document, "options", None)
        self.ocr = Ocr() if options is not None and options.ocr else None
        self.limits = Limits(max_pdf_pages=options.max_pdf_pages) if options is not None else Limits()
        self.transform: Transform | None = None

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        rows = 0
        for batch in ds.batches():
            rows += transform(batch).batch.num_rows
        if self.transform is None:
            self.transform = transform
        return rows

    def commit(self) -> None:
        if self.transform is None:
            raise WriterError("document has nothing to rewrite")
        rewrite = text_rewrite(self.transform)
        assert self.source is not None
        try:
            with self.source.open("rb") as src, open(self.tmp, "wb") as dst:
                if self.name.lower().endswith(".xls"):
                    rewrite_xls_as_xlsx(src, dst, rewrite, self.limits)
                    copied: tuple[object, ...] = ()
                else:
                    copied = rewrite_document(self.name, src, dst, rewrite, self.limits, self.ocr).copied
        except DocumentError as err:
            raise WriterError(err.line) from None
        if copied:
            raise WriterError(
                f"{len(copied)} embedded picture(s) or member(s) of unknown type cannot be checked"
                + ("" if self.ocr else " without --ocr") + "; nothing written"
            )
        super().commit()

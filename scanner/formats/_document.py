"""What the document formats (docx, pptx, xls, pdf, eml, html, images, archives) share.

Each format file names its suffixes and subclasses ``DocumentFormat``; reading is
``scanner.connectors.documentfile`` (a document's text is a ``text`` column, tables are datasets
of their own), writing is ``scanner.writers.documents`` (``scanner.documents.rewrite_document``:
span by span, formatting kept; PDFs and images redacted for real or refused). Every dataset of
one file (``合同.docx``, ``合同.docx#table1``, ``a.zip!/b.eml``) maps to the one output file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scanner.formats.base import Format, need_source

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class DocumentFormat(Format):
    """A document or archive format: never byte-copied (a copy could carry values unredacted)."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.documentfile import open_document

        return open_document(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.documents import DocumentWriter

        return DocumentWriter(final, need_source(self, source), ds)

    def output_name(self, ds: Dataset) -> str:
        """Every dataset of a file goes to that file's output (its id is ``meta["document"]``)."""
        return ds.meta.get("document", ds.id)

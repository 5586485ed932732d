"""Word .docx: paragraphs, tables (each a dataset of its own), headers/footers and comments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.documents.officexml import image_members
from scanner.documents.parts import LocationKind, Member, Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.sniff import check_ooxml

TABLE_CHUNK_ROWS = 1_000


def _table_rows(table: object) -> list[tuple[str, ...]]:
    from docx.table import Table

    assert isinstance(table, Table)
    return [tuple(cell.text for cell in row.cells) for row in table.rows]


def _table_parts(rows: list[tuple[str, ...]], path: DocPath, label: str | None) -> Iterator[Part]:
    for start in range(0, max(len(rows), 1), TABLE_CHUNK_ROWS):
        chunk = tuple(rows[start : start + TABLE_CHUNK_ROWS])
        text = "\n".join("\t".join(row) for row in chunk)
        yield Part(path, "table", start + 1, text, rows=chunk, label=label)


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part | Member]:
    """Body in reading order (paragraph n, table n as ``doc.docx#table<n>``), then headers,
    footers and comments; linked headers (same as the previous section) are read once."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_ooxml(stream, "docx")
    document = docx.Document(stream)
    paragraph_no = table_no = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraph_no += 1
            if block.text.strip():
                yield Part(path, "paragraph", paragraph_no, block.text)
        elif isinstance(block, Table):
            table_no += 1
            yield from _table_parts(_table_rows(block), path.with_table(f"table{table_no}"), None)
    for section_no, section in enumerate(document.sections, start=1):
        sides: tuple[tuple[LocationKind, Any], ...] = (("header", section.header), ("footer", section.footer))
        for kind, part in sides:
            if part.is_linked_to_previous:
                continue
            text = "\n".join(p.text for p in part.paragraphs)
            tables = "\n".join("\t".join(row) for t in part.tables for row in _table_rows(t))
            joined = "\n".join(x for x in (text, tables) if x.strip())
            if joined:
                yield Part(path, kind, section_no, joined)
    for comment_no, comment in enumerate(document.comments, start=1):
        text = "\n".join(p.text for p in comment.paragraphs)
        if text.strip():
            yield Part(path, "comment", comment_no, text)
    yield from image_members(document.part.package, path, ctx)


READER = Reader("docx", (".docx", ".docm"), read)

"""PowerPoint .pptx: text of each slide, its tables (datasets of their own) and speaker notes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from scanner.documents.officexml import image_members
from scanner.documents.parts import Member, Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.sniff import check_ooxml


def _shapes(shapes: Iterable[Any]) -> Iterator[Any]:
    """Every shape, entering groups (text in grouped shapes is still slide text)."""
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shapes(shape.shapes)
        else:
            yield shape


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part | Member]:
    """Slide n's text frames as one part, its tables as ``deck.pptx#table<k>`` (numbered across the
    deck, labelled with the slide), then slide n's notes."""
    from pptx import Presentation

    check_ooxml(stream, "pptx")
    deck = Presentation(stream)
    table_no = 0
    for slide_no, slide in enumerate(deck.slides, start=1):
        texts: list[str] = []
        for shape in _shapes(slide.shapes):
            if shape.has_text_frame and shape.text_frame.text.strip():
                texts.append(shape.text_frame.text)
            elif getattr(shape, "has_table", False):
                table_no += 1
                rows = tuple(tuple(cell.text for cell in row.cells) for row in shape.table.rows)
                text = "\n".join("\t".join(row) for row in rows)
                yield Part(path.with_table(f"table{table_no}"), "table", 1, text, rows=rows,
                           label=f"slide{slide_no}")  # fmt: skip
        if texts:
            yield Part(path, "slide", slide_no, "\n".join(texts))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                yield Part(path, "notes", slide_no, notes.text)
    yield from image_members(deck.part.package, path, ctx)


READER = Reader("pptx", (".pptx", ".pptm"), read)

"""HTML: the visible text (no scripts, styles or templates), one ``body`` part."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from scanner.documents.limits import read_all
from scanner.documents.parts import Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.textcodec import decode

_HIDDEN = {"script", "style", "template", "noscript", "head"}
_BLOCK = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "section", "article", "header", "footer", "blockquote", "pre", "title"}  # fmt: skip
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _TextOnly(HTMLParser):
    """Collects text outside hidden elements; block elements become line breaks so that values in
    adjacent cells do not run together into one false number."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def html_text(markup: str) -> str:
    """The visible text of ``markup``, blank lines collapsed."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.chunks).splitlines())
    return "\n".join(line for line in lines if line)


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part]:
    data = read_all(stream, ctx.limits)
    declared = _CHARSET.search(data[:4096])
    text = html_text(decode(data, declared.group(1).decode("ascii") if declared else None))
    if text:
        yield Part(path, "body", 1, text)


READER = Reader("html", (".html", ".htm"), read, seekable=False)

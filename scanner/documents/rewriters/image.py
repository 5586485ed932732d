"""Redacting images: black boxes burned into the pixels over OCR words that ``rewrite`` changes.

Each OCR line is rewritten as text; every word overlapping a changed span is covered by an opaque
box drawn into the decoded pixels, and the image is re-encoded from those pixels only (no EXIF,
no thumbnails, no other frames). The result is OCR'd again and refused if ``rewrite`` still
changes anything, so a value OCR saw is never left readable. What OCR cannot see (handwriting, a
faint stamp) it cannot box either: that limit is the OCR's, and the report says images were
redacted by OCR. Without OCR, images are refused.
"""

from __future__ import annotations

import io
from collections import defaultdict
from difflib import SequenceMatcher
from typing import BinaryIO

from scanner.documents.errors import DocumentError
from scanner.documents.limits import read_all
from scanner.documents.ocr import Ocr, Word, to_png
from scanner.documents.paths import DocPath
from scanner.documents.readers.image import SUFFIXES
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.runs import Rewrite

PAD = 3  # pixels around each word box: anti-aliased glyph edges stay covered


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _line_text(words: list[Word]) -> tuple[str, list[tuple[int, int]]]:
    """The line as text and each word's character range: a space only between two non-CJK words, as
    Chinese is written (Tesseract's TSV splits ``1990年3月7日`` into seven words)."""
    text = ""
    ranges: list[tuple[int, int]] = []
    for word in words:
        if text and not (_cjk(text[-1]) or _cjk(word.text[0])):  # "1990年3月7日", not "1990 年 3 月"
            text += " "
        ranges.append((len(text), len(text) + len(word.text)))
        text += word.text
    return text, ranges


def _widened(words: list[Word], index: int) -> tuple[int, int, int, int]:
    """Word ``index``'s box, widened by its height on both sides up to its neighbours' edges.

    Tesseract's boxes can clip a narrow leading glyph (the "1" that starts an ID number); one
    character-height of margin covers it without reaching into the next word.
    """
    left, top, width, height = words[index].box
    lo = left - height
    hi = left + width + height
    if index > 0:
        prev_left, _, prev_width, _ = words[index - 1].box
        lo = max(lo, prev_left + prev_width + 1)
    if index + 1 < len(words):
        hi = min(hi, words[index + 1].box[0] - 1)
    return (min(lo, left) - PAD, top - PAD, max(hi, left + width) + PAD, top + height + PAD)


def _changed(text: str, new: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that ``new`` replaces (an insertion marks the character at it)."""
    return [(i1, max(i2, i1 + 1)) for tag, i1, i2, _, _ in
            SequenceMatcher(None, text, new, autojunk=False).get_opcodes() if tag != "equal"]  # fmt: skip


def boxes_to_burn(words: list[Word], rewrite: Rewrite) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of the words whose text ``rewrite`` changes.

    Each line is rewritten on its own and the whole page once more (lines joined by newlines, as
    the check after redaction reads it): a value recognised only with the words around it (a date
    of birth under 出生, a name under 姓名 on the line above) is boxed too.
    """
    lines: dict[tuple[int, int, int], list[Word]] = defaultdict(list)
    for word in words:
        lines[word.line].append(word)
    chosen: set[tuple[int, int]] = set()  # (line number, word index)
    page = ""
    located: list[tuple[int, int, int, int]] = []  # (start, end, line number, word index) in the page
    for number, line_words in enumerate(lines.values()):
        text, ranges = _line_text(line_words)
        new = rewrite(text)
        if new != text:
            changed = _changed(text, new)
            chosen.update((number, i) for i, (a, b) in enumerate(ranges) if any(a < hi and lo < b for lo, hi in changed))
        base = len(page) + (1 if page else 0)
        page = f"{page}\n{text}" if page else text
        located.extend((base + a, base + b, number, i) for i, (a, b) in enumerate(ranges))
    new_page = rewrite(page)
    if new_page != page:
        changed = _changed(page, new_page)
        chosen.update((n, i) for a, b, n, i in located if any(a < hi and lo < b for lo, hi in changed))
    line_list = list(lines.values())
    return [_widened(line_list[n], i) for n, i in sorted(chosen)]


def redact(image: bytes, fmt: str, ocr: Ocr, rewrite: Rewrite) -> bytes:
    """``image`` with boxes burned in, re-encoded in ``fmt`` from pixels alone."""
    from PIL import Image, ImageDraw

    png = to_png(image)
    boxes = boxes_to_burn(ocr.words(png), rewrite)
    with Image.open(io.BytesIO(png)) as decoded:
        pixels = decoded.convert("RGB")
    draw = ImageDraw.Draw(pixels)
    for box in boxes:
        draw.rectangle(box, fill=(0, 0, 0))
    check = io.BytesIO()
    pixels.save(check, format="PNG")
    again = ocr.text(check.getvalue())
    if rewrite(again) != again:
        raise DocumentError(
            "cannot redact image safely: values still readable after redaction", "unsupported"
        )
    out = io.BytesIO()
    pixels.save(out, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".webp": "WEBP",
}


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Redact with OCR boxes, or refuse without OCR; multi-frame images are refused."""
    from PIL import Image

    if ctx.ocr is None:
        raise DocumentError("cannot redact image safely without OCR", "unsupported")
    data = read_all(src, ctx.limits)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            frames = getattr(probe, "n_frames", 1)
    except (OSError, ValueError, SyntaxError):
        raise DocumentError("corrupt image", "corrupt") from None
    if frames > 1:
        raise DocumentError("cannot redact multi-frame image safely", "unsupported")
    suffix = "." + path.name.rsplit(".", 1)[-1].lower()
    dst.write(redact(data, _FORMATS.get(suffix, "PNG"), ctx.ocr, ctx.rewrite))


REWRITER = Rewriter("image", SUFFIXES, rewrite)

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
    """The line as text (CJK words joined without spaces) and each word's character range."""
    text = ""
    ranges: list[tuple[int, int]] = []
    for word in words:
        if text and not (_cjk(text[-1]) and _cjk(word.text[0])):
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


def boxes_to_burn(words: list[Word], rewrite: Rewrite) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of the words whose text ``rewrite`` changes."""
    lines: dict[tuple[int, int, int], list[Word]] = defaultdict(list)
    for word in words:
        lines[word.line].append(word)
    boxes: list[tuple[int, int, int, int]] = []
    for line_words in lines.values():
        text, ranges = _line_text(line_words)
        new = rewrite(text)
        if new == text:
            continue
        changed = [(i1, max(i2, i1 + 1)) for tag, i1, i2, _, _ in
                   SequenceMatcher(None, text, new, autojunk=False).get_opcodes() if tag != "equal"]  # fmt: skip
        for index, (start, end) in enumerate(ranges):
            if any(start < hi and lo < end for lo, hi in changed):
                boxes.append(_widened(line_words, index))
    return boxes


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

"""A synthetic Chinese ID card as a PNG (Pillow + Debian's WenQuanYi Micro Hei), for OCR tests.

The values are synthetic (a valid check digit, no real person); the font is the CJK font
``make browser`` installs (``fonts-wqy-microhei``).
"""

from __future__ import annotations

import io
from pathlib import Path

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


def cjk_font() -> Path | None:
    """The first installed CJK font, or None."""
    return next((p for p in FONT_CANDIDATES if p.is_file()), None)


def id_card_png(name: str, id_number: str, address: str = "北京市东城区景山前街4号") -> bytes:
    """A 1000x630 card with the usual fields; large, dark text so OCR is reliable."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = cjk_font()
    if font_path is None:
        raise FileNotFoundError("no CJK font installed (run 'make browser')")
    image = Image.new("RGB", (1000, 630), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    big = ImageFont.truetype(str(font_path), 44)
    lines = [(f"姓名  {name}", 60), ("性别  男    民族  汉", 140), ("出生  1990年3月7日", 220),
             (f"住址  {address}", 300), (f"公民身份号码  {id_number}", 480)]  # fmt: skip
    for text, top in lines:
        draw.text((60, top), text, fill=(20, 20, 20), font=big)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def image_pdf(png: bytes) -> bytes:
    """A one-page PDF holding only ``png`` (a scanned page: no text layer)."""
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").save(out, format="PDF", resolution=150)
    return out.getvalue()

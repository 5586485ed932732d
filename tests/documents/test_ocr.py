"""OCR of scanned ID cards (Tesseract chi_sim+eng): required in CI, skipped elsewhere without it."""

from __future__ import annotations

import pytest

from scanner.documents import NotRead, Ocr, Part, ReadOptions, read_document, tesseract_available
from tests.conftest import in_ci
from tests.documents.builders import ID_NUMBER, NAME, zip_bytes
from tests.documents.idcard import cjk_font, id_card_png, image_pdf

if not (in_ci() or (tesseract_available() and cjk_font() is not None)):
    pytest.skip(
        "tesseract with chi_sim, or a CJK font, missing (run 'make ocr browser')", allow_module_level=True
    )

OCR = ReadOptions(ocr=Ocr())


def ocr_text(name: str, data: bytes) -> str:
    found = [r for r in read_document(name, data, OCR) if isinstance(r, Part)]
    assert found and all(p.ocr for p in found)
    return "\n".join(p.text for p in found)


def test_id_card_png_yields_id_number_and_name() -> None:
    text = ocr_text("scans/id.png", id_card_png(NAME, ID_NUMBER))
    assert ID_NUMBER in text
    assert NAME in text


def test_image_pdf_page_yields_id_number_and_name() -> None:
    text = ocr_text("scans/id.pdf", image_pdf(id_card_png(NAME, ID_NUMBER)))
    assert ID_NUMBER in text and NAME in text


def test_without_ocr_images_are_counted_not_read() -> None:
    png = id_card_png(NAME, ID_NUMBER)
    records = list(read_document("s.zip", zip_bytes({"a.png": png, "b.pdf": image_pdf(png)})))
    assert [(str(r.path), r.kind, r.index) for r in records if isinstance(r, NotRead)] == [
        ("s.zip!/a.png", "image", 1),
        ("s.zip!/b.pdf", "image_page", 1),
    ]


def _mask(text: str) -> str:
    return text.replace(ID_NUMBER, "*" * 18).replace(NAME, "**")


def test_image_redaction_burns_boxes_and_drops_metadata() -> None:
    import io

    from PIL import Image

    from scanner.documents import rewrite_document

    source = io.BytesIO()
    with Image.open(io.BytesIO(id_card_png(NAME, ID_NUMBER))) as card:
        exif = Image.Exif()
        exif[0x010E] = ID_NUMBER  # ImageDescription: metadata must not survive
        card.convert("RGB").save(source, format="JPEG", quality=95, exif=exif)
    out = io.BytesIO()
    rewrite_document("scans/id.jpg", io.BytesIO(source.getvalue()), out, _mask, ocr=Ocr())
    text = ocr_text("id.jpg", out.getvalue())
    assert ID_NUMBER not in text and NAME not in text
    assert "住址" in text  # the rest of the card is still there
    with Image.open(io.BytesIO(out.getvalue())) as redacted:
        assert redacted.format == "JPEG" and not redacted.getexif()
    assert ID_NUMBER.encode() not in out.getvalue()


def test_every_glyph_pixel_of_the_id_number_is_covered() -> None:
    """Tesseract's box can clip the leading "1"; the widened box must still cover every text pixel."""
    import io

    from PIL import Image

    from scanner.documents import rewrite_document

    png = id_card_png(NAME, ID_NUMBER)
    out = io.BytesIO()
    rewrite_document("id.png", io.BytesIO(png), out, _mask, ocr=Ocr())
    with Image.open(io.BytesIO(png)) as before_img, Image.open(io.BytesIO(out.getvalue())) as after_img:
        before, after = before_img.convert("L"), after_img.convert("L")
        band = [
            (x, y) for x in range(340, 1000) for y in range(470, 545)
        ]  # the ID number's line, digits only
        text_pixels = [xy for xy in band if before.getpixel(xy) < 128]  # type: ignore[operator]
        assert text_pixels
        assert all(after.getpixel(xy) == 0 for xy in text_pixels)


def test_picture_pasted_in_a_contract_is_read_and_redacted_with_ocr() -> None:
    import io

    from scanner.documents import rewrite_document
    from tests.documents.builders import docx_with_picture

    contract = docx_with_picture(id_card_png(NAME, ID_NUMBER))
    assert ID_NUMBER in ocr_text_any("合同.docx", contract)
    out = io.BytesIO()
    result = rewrite_document("合同.docx", io.BytesIO(contract), out, _mask, ocr=Ocr())
    assert result.copied == ()
    assert ID_NUMBER not in ocr_text_any("合同.docx", out.getvalue())


def ocr_text_any(name: str, data: bytes) -> str:
    return "\n".join(r.text for r in read_document(name, data, OCR) if isinstance(r, Part))


def test_scanned_pdf_page_is_redacted_in_the_image_with_ocr() -> None:
    import io

    from scanner.documents import rewrite_document

    out = io.BytesIO()
    rewrite_document(
        "scans/id.pdf", io.BytesIO(image_pdf(id_card_png(NAME, ID_NUMBER))), out, _mask, ocr=Ocr()
    )
    text = ocr_text("id.pdf", out.getvalue())
    assert ID_NUMBER not in text and NAME not in text and "住址" in text

"""OCR of scanned ID cards (Tesseract chi_sim+eng): required in CI, skipped elsewhere without it."""

from __future__ import annotations

import pytest

from scanner.documents import NotRead, Ocr, Part, ReadOptions, read_document, tesseract_available
from tests.conftest import in_ci
from tests.documents.builders import ID_NUMBER, NAME, zip_bytes
from tests.documents.idcard import cjk_font, id_card_png, image_pdf

if not (in_ci() or (tesseract_available() and cjk_font() is not None)):
    pytest.skip("tesseract with chi_sim, or a CJK font, missing (run 'make ocr browser')", allow_module_level=True)

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

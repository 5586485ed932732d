"""``scan --ocr`` through the CLI: a scanned ID card (PNG) and a one-page image PDF yield the ID
number and the name. Required in CI; skipped elsewhere without Tesseract's Chinese model or a CJK font."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.documents import tesseract_available
from tests.conftest import in_ci
from tests.documents.builders import ID_NUMBER, NAME
from tests.documents.idcard import cjk_font, id_card_png, image_pdf
from tests.hostile.harness import assert_no_traceback, invoke

if not (in_ci() or (tesseract_available() and cjk_font() is not None)):
    pytest.skip("tesseract with chi_sim, or a CJK font, missing (run 'make ocr browser')", allow_module_level=True)


def test_scan_with_ocr_finds_id_number_and_name(tmp_path: Path) -> None:
    share = tmp_path / "scans"
    share.mkdir()
    card = id_card_png(NAME, ID_NUMBER)
    (share / "身份证.png").write_bytes(card)
    (share / "身份证.pdf").write_bytes(image_pdf(card))
    out = tmp_path / "out"
    run = invoke(["scan", str(share), "-o", str(out), "--no-history", "--ocr", "--workers", "2"])
    assert_no_traceback(run)
    assert run.code == 0, run.console[-2000:]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    by_id = {d["id"]: d for d in findings["datasets"]}
    for ds_id, kind in (("身份证.png", "image"), ("身份证.pdf", "page")):
        ds = by_id[ds_id]
        (column,) = ds["columns"]
        assert column["primary_entity"] == "CN_RESIDENT_ID"
        assert {"CN_RESIDENT_ID", "PERSON_NAME"} <= {e["entity"] for e in column["entities"]}
        assert ds["locations"]["CN_RESIDENT_ID"] == [{"kind": kind, "index": 1, "count": 1}]
        assert "not_read" not in ds
    assert ID_NUMBER not in json.dumps(findings, ensure_ascii=False) and ID_NUMBER not in run.console


def test_anonymize_with_ocr_redacts_the_scanned_card(tmp_path: Path) -> None:
    from scanner.documents import Ocr, Part, ReadOptions, read_document

    src = tmp_path / "src"
    src.mkdir()
    (src / "card.png").write_bytes(id_card_png(NAME, ID_NUMBER))
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out), "--ocr"])
    assert_no_traceback(run)
    assert run.code == 0, run.console[-2000:]
    parts = read_document("card.png", (out / "card.png").read_bytes(), ReadOptions(ocr=Ocr()))
    text = "".join(p.text for p in parts if isinstance(p, Part))
    assert "公民身份" in text and ID_NUMBER not in text and ID_NUMBER[:6] + ID_NUMBER[-4:] not in text

"""Documents through the CLI: scan finds entities with their locations, anonymize rewrites, verify re-reads.

One share of every document kind is scanned once per module (scans load the detectors, the slow
part); each test reads the findings it needs from that run.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scanner.documents import Part, read_document
from tests.documents.builders import (
    EMAIL,
    ID_NUMBER,
    PHONE,
    docx_bytes,
    eml_bytes,
    mailbox_zip,
    pptx_bytes,
    tar_bytes,
    tiny_png,
    zip_bytes,
)
from tests.documents.idcard import image_pdf
from tests.documents.olegen import xls_bytes
from tests.documents.pdfgen import text_pdf
from tests.hostile.harness import assert_no_traceback, invoke, written_files

RAW = (ID_NUMBER, PHONE, EMAIL)


def build_share(root: Path) -> Path:
    """contracts/ (docx, pdf, pptx, xls), mail/ (the issue's zip), scans/ (png, image-only pdf), misc/."""
    share = root / "share"
    for folder in ("contracts/2024", "mail", "scans", "misc"):
        (share / folder).mkdir(parents=True)
    (share / "contracts/2024/张三-借款合同.docx").write_bytes(docx_bytes())
    (share / "contracts/2024/loan.pdf").write_bytes(
        text_pdf([["Loan agreement", "Borrower ID " + ID_NUMBER], ["Phone " + PHONE]]))
    (share / "contracts/deck.pptx").write_bytes(pptx_bytes())
    (share / "contracts/old.xls").write_bytes(xls_bytes({"客户": [["姓名", "手机"], ["张三", PHONE]]}))
    (share / "mail/2025-03.zip").write_bytes(mailbox_zip())
    (share / "scans/id.png").write_bytes(tiny_png())
    (share / "scans/id.pdf").write_bytes(image_pdf(tiny_png()))
    (share / "misc/page.html").write_text(f"<html><body><p>客服邮箱 {EMAIL}</p></body></html>", encoding="utf-8")
    (share / "misc/notes.tar.gz").write_bytes(tar_bytes({"notes/a.eml": eml_bytes(html=False)}))
    return share


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Any]:
    root = tmp_path_factory.mktemp("docs-cli")
    share = build_share(root)
    policy = root / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'mail/*'\n    allowed_entities: [EMAIL_ADDRESS]\n",
                      encoding="utf-8")
    out = root / "out"
    run = invoke(["scan", str(share), "-o", str(out), "--no-history", "--as-of", "2026-03-31",
                  "--policy", str(policy), "--lang", "en"])
    assert_no_traceback(run)
    return share, json.loads((out / "findings.json").read_text(encoding="utf-8")), run


def _by_id(findings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in findings["datasets"]}


def _entities(ds: dict[str, Any]) -> set[str]:
    return {e["entity"] for c in ds["columns"] for e in c["entities"] if e["matches"]}


def test_every_kind_is_a_dataset_with_its_format(scanned, validate_findings) -> None:
    _share, findings, run = scanned
    validate_findings(findings)
    formats = {i: d["format"] for i, d in _by_id(findings).items()}
    assert formats == {
        "contracts/2024/loan.pdf": "pdf",
        "contracts/2024/张三-借款合同.docx": "docx",
        "contracts/2024/张三-借款合同.docx#table1": "docx",
        "contracts/deck.pptx": "pptx",
        "contracts/deck.pptx#table1": "pptx",
        "contracts/old.xls#客户": "xls",
        "mail/2025-03.zip!/inbox/123.eml": "eml",
        "mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1": "xlsx",
        "misc/notes.tar.gz!/notes/a.eml": "eml",
        "misc/page.html": "html",
        "scans/id.pdf": "pdf",
        "scans/id.png": "image",
    }
    assert run.code == 0  # nothing failed; the violations are reported (no --fail-on)
    for ds in findings["datasets"]:
        if ds["format"] in ("pdf", "docx", "pptx", "eml", "html", "image") and "#" not in ds["id"]:
            assert [c["name"] for c in ds["columns"]] == ["text"]


def test_entities_carry_location_counts_never_values(scanned) -> None:
    _share, findings, _run = scanned
    by_id = _by_id(findings)
    contract = by_id["contracts/2024/张三-借款合同.docx"]["locations"]
    assert contract["CN_RESIDENT_ID"] == [{"kind": "paragraph", "index": 2, "count": 1}]
    assert {"kind": "footer", "index": 1, "count": 1} in contract["CN_MOBILE_PHONE"]
    assert by_id["contracts/2024/loan.pdf"]["locations"]["CN_RESIDENT_ID"] == [{"kind": "page", "index": 1, "count": 1}]
    assert by_id["contracts/2024/loan.pdf"]["locations"]["CN_MOBILE_PHONE"] == [{"kind": "page", "index": 2, "count": 1}]
    assert by_id["contracts/deck.pptx"]["locations"]["CN_RESIDENT_ID"] == [{"kind": "notes", "index": 2, "count": 1}]
    sheet = by_id["mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1"]
    assert sheet["locations"]["CN_RESIDENT_ID"] == [{"kind": "sheet", "name": "Sheet1", "count": 1}]
    assert "CN_RESIDENT_ID" in _entities(sheet) and "CN_MOBILE_PHONE" in _entities(by_id["contracts/old.xls#客户"])
    assert "EMAIL_ADDRESS" in _entities(by_id["misc/page.html"])
    assert "CN_MOBILE_PHONE" in _entities(by_id["misc/notes.tar.gz!/notes/a.eml"])
    text = json.dumps(findings, ensure_ascii=False)
    assert not any(value in text for value in RAW)


def test_images_without_ocr_are_listed_not_read_and_the_report_says_so(scanned) -> None:
    share, findings, _run = scanned
    by_id = _by_id(findings)
    assert by_id["scans/id.png"]["not_read"] == [
        {"path": "scans/id.png", "kind": "image", "index": 1, "reason": "OCR off"}]
    assert by_id["scans/id.pdf"]["not_read"] == [
        {"path": "scans/id.pdf", "kind": "image_page", "index": 1, "reason": "OCR off"}]
    assert by_id["scans/id.png"]["rows"] == 0
    assert "2 images or pages not read (see the report; --ocr reads them)" in _run.stdout
    report = (share.parent / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="documents"' in report and 'id="not-read-list"' in report
    assert "page 1: scanned page without text, not read (OCR off)" in report
    assert "personal data in them is NOT counted" in report and "--ocr" in report


def test_policy_rules_apply_to_documents(scanned) -> None:
    _share, findings, _run = scanned
    rules = {(v["rule"], v["dataset"]) for v in findings["violations"]}
    assert ("plaintext_sensitive", "contracts/2024/张三-借款合同.docx") in rules
    assert ("undeclared_dataset", "contracts/2024/张三-借款合同.docx") in rules
    assert ("minimization", "mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1") in rules
    assert ("undeclared_dataset", "mail/2025-03.zip!/inbox/123.eml") not in rules  # declared by mail/*


def test_report_documents_view_in_chinese(scanned, tmp_path: Path) -> None:
    share, _findings, _run = scanned
    target = tmp_path / "zh.html"
    run = invoke(["report", str(share.parent / "out" / "findings.json"), "-o", str(target), "--lang", "zh"])
    assert run.code == 0
    page = target.read_text(encoding="utf-8")
    assert "文档" in page and "未读取" in page and "第 1 页：无文字层的扫描页" in page
    folders = page[page.index('id="documents-folders"'):page.index('id="not-read"')]
    assert "contracts/2024" in folders and "居民身份证号 (" in folders


def test_workers_give_the_same_findings(scanned, tmp_path: Path) -> None:
    share, findings, _run = scanned
    out = tmp_path / "w2"
    run = invoke(["scan", str(share), "-o", str(out), "--no-history", "--as-of", "2026-03-31", "--workers", "2"])
    assert run.code == 0, run.console[-2000:]
    again = json.loads((out / "findings.json").read_text(encoding="utf-8"))

    def essence(doc: dict[str, Any]) -> list[Any]:
        return [(d["id"], d["rows"], [(c["name"], c["primary_entity"]) for c in d["columns"]],
                 d.get("locations"), d.get("not_read")) for d in doc["datasets"]]

    assert essence(again) == essence(findings)


def _texts(name: str, data: bytes) -> str:
    return "\n".join(p.text for p in read_document(name, data) if isinstance(p, Part))


def _run_styles(data: bytes) -> list[tuple[bool | None, bool | None, str | None]]:
    import docx

    paragraph = docx.Document(io.BytesIO(data)).paragraphs[0]
    return [(r.bold, r.italic, str(r.font.color.rgb) if r.font.color.rgb else None) for r in paragraph.runs]


def _slide_runs(data: bytes) -> list[tuple[tuple[bool | None, bool | None], str]]:
    from pptx import Presentation

    title = Presentation(io.BytesIO(data)).slides[0].shapes.title.text_frame.paragraphs[0]
    return [((r.font.bold, r.font.italic), r.text) for r in title.runs]


def test_anonymized_documents_hold_no_value_keep_styles_and_verify(scanned, tmp_path: Path) -> None:
    share, _findings, _run = scanned
    out = tmp_path / "anon"
    run = invoke(["anonymize", str(share), "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 3  # the images cannot be redacted without --ocr: refused, never copied
    assert not (out / "scans/id.png").exists() and not (out / "scans/id.pdf").exists()
    produced = {p.relative_to(out).as_posix() for p in written_files(out)}
    assert produced == {
        "anonymization.json", "contracts/2024/loan.pdf", "contracts/2024/张三-借款合同.docx", "contracts/deck.pptx",
        "contracts/old.xls.xlsx", "mail/2025-03.zip", "misc/page.html", "misc/notes.tar.gz"}
    for rel in produced - {"anonymization.json"}:
        data = (out / rel).read_bytes()
        text = _texts(rel, data)
        assert text.strip(), rel
        assert not any(value in text for value in RAW), rel
    original = (share / "contracts/2024/张三-借款合同.docx").read_bytes()
    rewritten = (out / "contracts/2024/张三-借款合同.docx").read_bytes()
    assert _run_styles(rewritten) == _run_styles(original)
    deck_before = _slide_runs((share / "contracts/deck.pptx").read_bytes())
    deck_after = _slide_runs((out / "contracts/deck.pptx").read_bytes())
    assert [style for style, _text in deck_after] == [style for style, _text in deck_before]
    assert [text for _style, text in deck_after] != [text for _style, text in deck_before]  # the name was masked
    with zipfile.ZipFile(io.BytesIO((out / "mail/2025-03.zip").read_bytes())) as archive:
        assert archive.namelist() == ["inbox/123.eml"]
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    notes = [d.get("note") for d in record["datasets"] if d["output"] == "contracts/old.xls.xlsx"]
    assert notes and all(n and "xlsx" in n for n in notes)
    errors = {e["dataset"]: e["error"] for e in record["errors"]}
    assert errors["scans/id.png"] == "cannot redact image safely without OCR"
    verify = invoke(["verify", str(out)])
    assert verify.code == 0, verify.console[-2000:]


def test_anonymize_refuses_a_contract_with_a_picture_without_ocr(tmp_path: Path) -> None:
    from tests.documents.builders import docx_with_picture

    src = tmp_path / "src"
    src.mkdir()
    (src / "合同.docx").write_bytes(docx_with_picture(tiny_png()))
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out)])
    assert run.code == 3
    assert_no_traceback(run)
    assert not (out / "合同.docx").exists()
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    assert any("without --ocr" in e["error"] for e in record["errors"])


def test_zip_with_only_nested_members_writes_them_under_the_same_names(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "box.zip").write_bytes(zip_bytes({"a/说明.txt": f"电话 {PHONE}".encode(), "b/c.docx": docx_bytes()}))
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out)])
    assert run.code == 0, run.console[-2000:]
    with zipfile.ZipFile(out / "box.zip") as archive:
        assert archive.namelist() == ["a/说明.txt", "b/c.docx"]
        assert PHONE not in archive.read("a/说明.txt").decode("utf-8")


def test_ocr_and_page_limit_are_part_of_the_incremental_key() -> None:
    """A scan with --ocr read images a scan without it did not: their results must not be reused."""
    from scanner.connectors.common import ReadOptions
    from scanner.incremental import options_key

    plain = options_key(False, 100, ReadOptions())
    assert options_key(False, 100, ReadOptions(ocr=True)) != plain
    assert options_key(False, 100, ReadOptions(max_pdf_pages=10)) != plain


def test_ocr_without_tesseract_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(tiny_png())
    out = tmp_path / "out"
    run = invoke(["scan", str(tmp_path / "a.png"), "-o", str(out), "--no-history", "--ocr"], env={"PATH": ""})
    assert run.code == 2 and "--ocr needs Tesseract" in run.stderr and len(run.error_lines()) == 1
    assert not out.exists()

"""sample_data/share/: what the demo scan finds there, and that its generator is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scanner import api
from tests.conftest import ROOT
from tests.documents.idcard import cjk_font

SHARE = ROOT / "sample_data" / "share"


def test_demo_share_datasets_entities_and_blind_spots() -> None:
    result = api.scan([str(SHARE)], policy=ROOT / "sample_data" / "policy.yaml").to_json()
    by_id = {d["id"]: d for d in result["datasets"]}
    assert not result["errors"]
    contract = next(i for i in by_id if i.startswith("合同/2024/") and i.endswith("-借款合同.docx"))
    pdf = contract[: -len(".docx")] + ".pdf"
    expected = {contract, contract + "#table1", pdf, "contracts/loan-agreement-en.docx",
                "contracts/loan-agreement-en.docx#table1", "contracts/loan-agreement-en.pdf",
                "mail/2025-03.zip!/inbox/123.eml", "mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1",
                "scans/身份证-样例.png"}
    assert set(by_id) == expected
    for ds_id in (contract, pdf, "contracts/loan-agreement-en.pdf"):
        assert by_id[ds_id]["columns"][0]["primary_entity"] == "CN_RESIDENT_ID"
        assert "CN_RESIDENT_ID" in by_id[ds_id]["locations"]
    sheet = by_id["mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1"]
    assert {c["name"]: c["primary_entity"] for c in sheet["columns"]} == {
        "姓名": "PERSON_NAME", "身份证号": "CN_RESIDENT_ID", "手机": "CN_MOBILE_PHONE"}
    assert by_id["scans/身份证-样例.png"]["not_read"][0]["kind"] == "image"
    rules = {(v["rule"], v["dataset"]) for v in result["violations"]}
    assert ("plaintext_sensitive", contract) in rules and ("undeclared_dataset", pdf) in rules


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.skipif(cjk_font() is None, reason="the ID card needs a CJK font (make ocr)")
def test_share_generation_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import make_sample_data

    for run in ("a", "b"):
        make_sample_data.write_share_folder(random.Random(make_sample_data.SEED + 7), tmp_path / run)
    first, second = _digests(tmp_path / "a" / "share"), _digests(tmp_path / "b" / "share")
    assert first == second and set(first) == set(_digests(SHARE))

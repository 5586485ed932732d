"""What piiwarden writes reads back as written: a GB18030 copy with pseudonymized names is not Korean.

Issue 14, item 12: short GB text full of surrogate names (several outside
the 2,500 most common characters) failed the common-character test and
charset-normalizer guessed cp949/ptcp154, so ``verify`` and ``scan`` of the
anonymized copy read other characters than anonymize wrote. Each run now
records the encoding of every text output in its run record, and the
readers prefer it for piiwarden's own outputs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.hostile.harness import assert_no_raw, assert_no_traceback, invoke

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红"
HEADER = "编号,姓名\r\n"


def _csv(names: list[str]) -> str:
    return HEADER + "".join(f"{i},{name}\r\n" for i, name in enumerate(names))


def _misread_case() -> list[str]:
    """Names whose GB18030 file sniffs right but whose pseudonymized copy sniffs as another codec."""
    from scanner.anonymize.keys import Key
    from scanner.anonymize.operators import OpContext
    from scanner.anonymize.rules import Rule
    from scanner.connectors.common import detect_encoding_bytes

    ctx = OpContext(Key(bytes.fromhex(KEY_HEX)))
    pseudonym = Rule(op="pseudonym")
    for seed in range(500):
        rng = random.Random(seed)
        names = [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
                 for _ in range(12)]
        copy = _csv([pseudonym.apply_value("PERSON_NAME", n, ctx) for n in names])
        if (detect_encoding_bytes(_csv(names).encode("gb18030"), True) == "gb18030"
                and detect_encoding_bytes(copy.encode("gb18030"), True) != "gb18030"):
            return names
    pytest.fail("no name set found whose pseudonymized copy is misread by sniffing")


def test_gbk_copy_with_pseudonymized_names_reads_back_as_written(tmp_path):
    from scanner.connectors.common import detect_encoding_bytes
    from scanner.sources import resolve_sources

    names = _misread_case()
    src = tmp_path / "src"
    src.mkdir()
    (src / "people.csv").write_bytes(_csv(names).encode("gbk"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  PERSON_NAME: {op: pseudonym}\n", encoding="utf-8")
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out), "--rules", str(rules)], env={"PIIWARDEN_KEY": KEY_HEX})
    assert_no_traceback(run)
    assert run.code == 0, run.console
    written = (out / "people.csv").read_bytes()
    # The hazard is real: sniffing alone would read this file as another codec.
    assert detect_encoding_bytes(written, True) != "gb18030"
    expected = written.decode("gb18030")
    datasets, failed = resolve_sources([str(out)])
    assert not failed
    (people,) = [d for d in datasets if d.id == "people.csv"]
    cells = [v for b in people.batches() for v in b.column("姓名").to_pylist()]
    assert cells == [line.split(",")[1] for line in expected.splitlines()[1:]]

    verified = invoke(["verify", str(out)], env={"PIIWARDEN_KEY": KEY_HEX})  # authenticates the pseudonym column
    assert_no_traceback(verified)
    assert verified.code == 0, verified.console
    assert any("姓名" in line and "pseudonymized" in line for line in verified.stdout.splitlines())

    scanned = invoke(["scan", str(out), "-o", str(tmp_path / "scan"), "--no-history"])
    assert scanned.code in (0, 1), scanned.console
    findings = json.loads((tmp_path / "scan" / "findings.json").read_text(encoding="utf-8"))
    (ds,) = [d for d in findings["datasets"] if d["id"] == "people.csv"]
    assert [c["name"] for c in ds["columns"]] == ["编号", "姓名"]
    assert_no_raw(names, roots=[out])
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    assert record["datasets"][0]["encoding"] == "gb18030"
    assert [c["rule"]["op"] for c in record["datasets"][0]["columns"] if c["name"] == "姓名"] == ["pseudonym"]


def test_a_recorded_encoding_that_no_longer_decodes_is_ignored(tmp_path):
    from scanner.connectors.common import detect_encoding, recorded_encoding

    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("编号,姓名\n1,王芳\n", encoding="utf-8")
    (out / "anonymization.json").write_text(json.dumps({
        "tool": {"name": "piiwarden"}, "datasets": [{"output": "a.csv", "encoding": "ascii"}]}), encoding="utf-8")
    assert recorded_encoding(out / "a.csv") == "ascii"
    assert detect_encoding(out / "a.csv") == "utf-8"


def test_records_of_other_tools_are_not_trusted(tmp_path: Path):
    from scanner.connectors.common import recorded_encoding

    (tmp_path / "a.csv").write_bytes("编号\n1\n".encode("gb18030"))
    (tmp_path / "anonymization.json").write_text(json.dumps({
        "tool": {"name": "other"}, "datasets": [{"output": "a.csv", "encoding": "cp949"}]}), encoding="utf-8")
    assert recorded_encoding(tmp_path / "a.csv") is None

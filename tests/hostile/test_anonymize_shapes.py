"""anonymize never leaves an identifier in clear because of its shape, and verify sees what it would leave.

Issue 14, item 0: in a column classified as an entity, every non-empty cell
is transformed unless it was checked and is not the entity. Spaced, dashed,
full-width, labelled, ``+86``/``0086``, lower-case ``x`` shapes go through
every operator; a third-party export's passwords, English addresses and US
phone numbers (Faker-like, built here) all change; ``verify`` fails on a
clear value left in any of those shapes and warns about level-2 residue.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.validators import MOBILE_PREFIXES, resident_id_check_char
from tests.hostile.harness import assert_no_raw, assert_no_traceback, invoke

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
KEY_ENV = {"PIIWARDEN_KEY": KEY_HEX}
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
OPS = ["mask", "hash", "encrypt", "fpe", "pseudonym", "generalize", "redact"]


def _compact(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", unicodedata.normalize("NFKC", value)).upper()


def _cn_rows(n: int = 30, seed: int = 3) -> list[tuple[str, str, str, str]]:
    """(resident ID cell, its canonical form, mobile cell, its canonical form), shapes rotating."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        body = (f"{rng.choice(['110105', '430104', '510104', '320102'])}{rng.randint(1960, 2000)}"
                f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}")
        pid = body + resident_id_check_char(body)
        mob = f"{rng.choice(sorted(MOBILE_PREFIXES))}{rng.randint(10000000, 99999999)}"
        pid_cell, mob_cell = pid, mob
        shape = i % 7
        if shape == 1:
            pid_cell, mob_cell = f"{pid[:6]} {pid[6:14]} {pid[14:]}", mob.translate(FULL_WIDTH)
        elif shape == 2:
            pid_cell, mob_cell = pid.translate(FULL_WIDTH), f"+86 {mob}"
        elif shape == 3:
            pid_cell, mob_cell = f"身份证:{pid}", f"0086{mob}"
        elif shape == 4:
            pid_cell, mob_cell = f"{pid[:6]}-{pid[6:14]}-{pid[14:]}", f"{mob[:3]}-{mob[3:7]}-{mob[7:]}"
        elif shape == 5:
            pid_cell, mob_cell = pid.lower() if pid.endswith("X") else f"证件号码：{pid}", f"手机：{mob}"
        rows.append((pid_cell, pid, mob_cell, mob))
    return rows


def _write_cn(folder: Path, rows: list[tuple[str, str, str, str]], extra: list[tuple[str, str]] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "customers.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "身份证号", "手机号"])
        for i, (pid, _, mob, _) in enumerate(rows):
            w.writerow([i, pid, mob])
        for j, (pid, mob) in enumerate(extra):
            w.writerow([len(rows) + j, pid, mob])
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _columns(outdir: Path) -> dict[str, dict]:
    record = json.loads((outdir / "anonymization.json").read_text(encoding="utf-8"))
    return {c["name"]: c for ds in record["datasets"] for c in ds["columns"]}


@pytest.mark.parametrize("op", OPS)
def test_every_shape_of_id_and_mobile_is_transformed_by_every_operator(tmp_path, op):
    rows = _cn_rows()
    src = _write_cn(tmp_path / "src", rows)
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"version: 1\nentities:\n  CN_RESIDENT_ID: {{op: {op}}}\n  CN_MOBILE_PHONE: {{op: {op}}}\n",
                     encoding="utf-8")
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out), "--rules", str(rules)], env=KEY_ENV)
    assert_no_traceback(run)
    assert run.code == 0, run.console
    got = _read(out / "customers.csv")
    assert len(got) == len(rows)
    for (pid_cell, pid, mob_cell, mob), row in zip(rows, got):
        assert row["身份证号"] != pid_cell and row["手机号"] != mob_cell
        assert pid not in _compact(row["身份证号"]) and mob not in _compact(row["手机号"])
    cols = _columns(out)
    for name in ("身份证号", "手机号"):
        assert cols[name]["values_changed"] == len(rows), (name, cols[name])
        assert cols[name]["values_unchanged"] == 0
    originals = [r[i] for r in rows for i in range(4)]
    assert_no_raw(originals, run=run, roots=[out])
    verified = invoke(["verify", str(out)], env=KEY_ENV)  # the key authenticates the record's pseudonym/fpe columns
    assert_no_traceback(verified)
    assert verified.code == 0, verified.console


def test_mask_keeps_the_contract_shape_on_the_normalized_value(tmp_path):
    rows = _cn_rows()
    src = _write_cn(tmp_path / "src", rows)
    out = tmp_path / "out"
    assert invoke(["anonymize", str(src), "-o", str(out)]).code == 0
    for (_, pid, mob_cell, mob), row in zip(rows, _read(out / "customers.csv")):
        assert _compact(row["身份证号"]).endswith(pid[:6] + "*" * 8 + pid[-4:]) or \
            row["身份证号"].endswith(pid[:6] + "*" * 8 + pid[-4:]), row["身份证号"]
        assert row["手机号"].endswith(mob[:3] + "******" + mob[-2:]) or \
            row["手机号"].replace("-", "").endswith(mob[:3] + "******" + mob[-2:]), (mob_cell, row["手机号"])


def test_placeholders_and_notes_stay_and_are_reported_by_reason(tmp_path):
    rows = _cn_rows()
    extra = [("无", "N/A"), ("-", "无"), ("", "客户拒绝提供"), ("不详", "-")]
    malformed = [("４３０１０４ 1982112", "174-2670-1361 转 8")]  # an invalid prefix, a cut ID: still identifiers
    src = _write_cn(tmp_path / "src", rows, extra + malformed)
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out)])
    assert run.code == 0, run.console
    got = _read(out / "customers.csv")[len(rows):]
    assert [(r["身份证号"], r["手机号"]) for r in got[: len(extra)]] == extra
    for (pid, mob), row in zip(malformed, got[len(extra):]):
        assert row["身份证号"] != pid and row["手机号"] != mob
        assert "1982112" not in _compact(row["身份证号"]) and "26701361" not in _compact(row["手机号"])
    cols = _columns(out)
    assert cols["身份证号"]["unchanged_reasons"] == {"placeholder": 3}
    assert cols["手机号"]["unchanged_reasons"] == {"no_entity_found": 1, "placeholder": 3}
    warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2 and all("customers.csv" in w for w in warnings)
    assert not any("客户拒绝提供" in w for w in warnings)


def _faker_like(n: int, seed: int = 7) -> list[dict[str, str]]:
    """A third-party export in Faker's shapes: clear passwords, US street/military addresses, US phones."""
    rng = random.Random(seed)
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()_+"
    streets = ["James Plains", "Smith Mews", "Garcia Ridge", "Lopez Stravenue", "Oak Street", "Brown Lights"]
    cities = ["North Jenniferstad", "Lake Amy", "Port Kevin", "East Michael", "Sarahmouth"]
    phone_formats = ["{a}.{b}.{c:04d}x{e}", "({a}){b}-{c:04d}", "001-{a}-{b}-{c:04d}x{e}", "{a}-{b}-{c:04d}",
                     "+1-{a}-{b}-{c:04d}x{e}", "{a}.{b}.{c:04d}", "{a}{b}{c:04d}", "+1-{a}-{b}-{c:04d}"]
    rows = []
    for i in range(n):
        if rng.random() < 0.7:
            password = "".join(rng.choice(chars) for _ in range(rng.randint(8, 12)))
        else:
            password = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
                       f"{rng.choice('abcdefgh')}{rng.choice('abcdefgh')}"
        r = rng.random()
        if r < 0.15:
            address = f"PSC {rng.randint(1000, 9999)}, Box {rng.randint(1000, 9999)}\nAPO AA {rng.randint(10000, 99999)}"
        elif r < 0.25:
            address = f"USNS {rng.choice(['Smith', 'Brown'])}\nFPO AE {rng.randint(10000, 99999)}"
        else:
            suite = f" Suite {rng.randint(100, 999)}" if rng.random() < 0.4 else ""
            address = (f"{rng.randint(1, 99999)} {rng.choice(streets)}{suite}, {rng.choice(cities)}, "
                       f"{rng.choice(['WV', 'CA', 'NY', 'TX'])} {rng.randint(10000, 99999)}")
        phone = rng.choice(phone_formats).format(a=rng.randint(201, 989), b=rng.randint(200, 999),
                                                 c=rng.randint(0, 9999), e=rng.randint(1, 99999))
        rows.append({"id": str(i), "password": password, "address": address, "phone_number": phone,
                     "note": rng.choice(["ok", "vip", "", "call back"])})
    rows[0].update(password="a1d&L!Rr(F", address="3161 James Plains Suite 137, North Jenniferstad, WV 15849",
                   phone_number="453.872.2671x65823")
    rows[1].update(password="19840615ct", phone_number="(286)638-4543")
    rows[2].update(phone_number="001-286-638-4543x123")
    return rows


def _write_export(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_third_party_export_keeps_no_sensitive_cell_and_verify_passes(tmp_path):
    rows = _faker_like(300)
    src = _write_export(tmp_path / "src", rows)
    out = tmp_path / "out"
    run = invoke(["anonymize", str(src), "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 0, run.console
    got = _read(out / "export.csv")
    sensitive = ("password", "address", "phone_number")
    for before, after in zip(rows, got):
        for name in sensitive:
            assert after[name] != before[name], name
    cols = _columns(out)
    assert {cols[n]["entity"] for n in sensitive} == {"CREDENTIAL", "ADDRESS", "PHONE_NUMBER"}
    for name in sensitive:
        assert cols[name]["values_changed"] == len(rows), (name, cols[name])
    assert_no_raw([r[n] for r in rows for n in ("password", "phone_number")], run=run, roots=[out])
    # An address keeps its city part when masked (the contract's shape); its street part goes.
    assert_no_raw([r["address"].partition(",")[0] for r in rows if "," in r["address"]], roots=[out])
    verified = invoke(["verify", str(out)])
    assert verified.code == 0, verified.console


def test_verify_fails_on_one_clear_value_of_any_shape(tmp_path):
    rows = _faker_like(120)
    _write_export(tmp_path / "src", rows)
    cn = _cn_rows()
    _write_cn(tmp_path / "src", cn)
    out = tmp_path / "out"
    assert invoke(["anonymize", str(tmp_path / "src"), "-o", str(out)]).code == 0
    assert invoke(["verify", str(out)]).code == 0
    cases = [("export.csv", "password", rows[5]["password"]),
             ("export.csv", "phone_number", "453.872.2671x65823"),
             ("customers.csv", "身份证号", f"{cn[0][1][:6]} {cn[0][1][6:14]} {cn[0][1][14:]}"),
             ("customers.csv", "身份证号", cn[0][1].translate(FULL_WIDTH)),
             ("customers.csv", "手机号", cn[0][3].translate(FULL_WIDTH))]
    for name, column, clear in cases:
        path = out / name
        original = path.read_text(encoding="utf-8")
        table = _read(path)
        table[7][column] = clear
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(table[0]))
            w.writeheader()
            w.writerows(table)
        run = invoke(["verify", str(out)])
        assert_no_traceback(run)
        assert run.code == 1, (column, run.console)
        assert any(line.startswith("FAIL") and name in line and column in line for line in run.stdout.splitlines())
        assert_no_raw([clear], run=run)
        path.write_text(original, encoding="utf-8")


def test_verify_reports_name_residue_in_free_text_as_a_warning_unless_min_level_2(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    rng = random.Random(1)
    names = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
    lines = ["编号,备注"] + [f"{i},客户{rng.choice(names)}反映物流太慢，已经安排{rng.choice(names)}回访处理"
                           for i in range(40)]
    (out / "notes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = invoke(["verify", str(out)])
    assert_no_traceback(run)
    assert run.code == 0, run.console
    warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING") and "PERSON_NAME" in line]
    assert warnings and "notes.csv" in warnings[0] and "备注" in warnings[0]
    assert_no_raw(names, run=run)
    strict = invoke(["verify", str(out), "--min-level", "2"])
    assert strict.code == 1, strict.console


@settings(settings.get_profile("hostile"))
@given(st.sampled_from(_cn_rows(14)), st.sampled_from(["", " ", "\t"]), st.booleans())
def test_judge_accepts_every_shape_detection_accepts(row, pad, full_width):
    """Any rotation of shapes, padded or full-width, is the entity with its canonical form."""
    from scanner.anonymize.shapes import judge

    pid_cell, pid, mob_cell, mob = row
    if full_width:
        pid_cell, mob_cell = pid_cell.translate(FULL_WIDTH), mob_cell.translate(FULL_WIDTH)
    v = judge("CN_RESIDENT_ID", pad + pid_cell + pad)
    assert v.kind == "entity" and v.form.upper() == pid.upper()
    m = judge("CN_MOBILE_PHONE", pad + mob_cell + pad)
    assert m.kind == "entity" and mob in _compact(m.form)


def test_judge_placeholders_and_credentials():
    from scanner.anonymize.shapes import Verdict, judge

    for cell in ("无", "N/A", "-", "—", "null", "***", "不详"):
        assert judge("CN_MOBILE_PHONE", cell) == Verdict("placeholder")
    assert judge("CREDENTIAL", "none").kind == "whole"
    assert judge("CN_MOBILE_PHONE", "客户拒绝提供").kind == "text"


def test_encrypt_of_other_shapes_decrypts_to_the_cell_as_written_and_never_repeats_a_token(tmp_path):
    rows = _cn_rows()
    rows += rows[1:3]  # the same spaced / full-width cells twice
    src = _write_cn(tmp_path / "src", rows)
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  CN_RESIDENT_ID: {op: encrypt}\n  CN_MOBILE_PHONE: {op: encrypt}\n",
                     encoding="utf-8")
    out, back = tmp_path / "out", tmp_path / "back"
    assert invoke(["anonymize", str(src), "-o", str(out), "--rules", str(rules)], env=KEY_ENV).code == 0
    tokens = [r["身份证号"] for r in _read(out / "customers.csv")]
    assert len(set(tokens)) == len(tokens)
    run = invoke(["decrypt", str(out), "-o", str(back)], env=KEY_ENV)
    assert run.code == 0, run.console
    restored = _read(back / "customers.csv")
    assert [(r["身份证号"], r["手机号"]) for r in restored] == [(pid, mob) for pid, _, mob, _ in rows]


def test_a_policy_that_forbids_level_2_in_clear_makes_name_residue_fail_verify(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    rng = random.Random(1)
    names = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
    lines = ["编号,备注"] + [f"{i},客户{rng.choice(names)}反映物流太慢，已经安排{rng.choice(names)}回访处理"
                           for i in range(40)]
    (out / "notes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndefaults:\n  plaintext_forbidden_level: 2\ndatasets: []\n", encoding="utf-8")
    run = invoke(["verify", str(out), "--policy", str(policy)])
    assert_no_traceback(run)
    assert run.code == 1, run.console


def _reshape(digits: str, seps: list[str], full_width: bool, label: str, prefix: str) -> str:
    out = "".join(d + (seps[i % len(seps)] if i < len(digits) - 1 and i % 4 == 3 else "")
                  for i, d in enumerate(digits))
    out = prefix + out
    return label + (out.translate(FULL_WIDTH) if full_width else out)


@settings(settings.get_profile("hostile"))
@given(st.sampled_from(_cn_rows(14)), st.lists(st.sampled_from([" ", "-", "", ".", " - "]), min_size=1, max_size=3),
       st.booleans(), st.sampled_from(["", "身份证:", "证件号码：", "ID No.: "]), st.sampled_from(["", "+86 ", "0086"]))
def test_what_anonymize_transforms_verify_would_flag_and_its_mask_would_not(row, seps, full_width, label, prefix):
    """anonymize and verify share the normalization: every accepted shape is clear until masked."""
    from scanner.anonymize.masks import mask_one
    from scanner.anonymize.shapes import clear_in_cell, judge

    _, pid, _, mob = row
    for entity, value, canonical in (("CN_RESIDENT_ID", _reshape(pid, seps, full_width, label, ""), pid),
                                     ("CN_MOBILE_PHONE", _reshape(mob, seps, full_width, "", prefix), mob)):
        verdict = judge(entity, value)
        assert verdict.kind == "entity", (entity, value)
        assert canonical in _compact(verdict.form)
        assert clear_in_cell(entity, value)
        assert not clear_in_cell(entity, verdict.label + mask_one(entity, verdict.form))

"""Issue 14, file readers: a hostile or broken file loses its bad rows, never the file, the scan or the data.

Each test runs the real command (``invoke`` in-process, ``run_cli`` where a
hang or a crash of the interpreter is at stake) and checks the exit code, the
one error line naming the file, no traceback, no raw value in the console or
the outputs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest

from tests.hostile.harness import (
    assert_error_line,
    assert_no_raw,
    assert_no_traceback,
    assert_only_inside,
    invoke,
    run_cli,
    snapshot,
)
from tests.hostile.readers_corpus import (
    VALID,
    csv_bytes,
    jsonl_bytes,
    people,
    rewrite_part,
    text_bytes,
    write,
    xlsx_bytes,
)


def scan(src: Path, out: Path, *extra: str):
    run = invoke(["scan", str(src), "-o", str(out), "--no-history", "-q", "--as-of", "2026-03-31", *extra])
    assert_no_traceback(run)
    return run, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def dataset(findings: dict, ds_id: str) -> dict:
    return next(d for d in findings["datasets"] if d["id"] == ds_id)


def entities(ds: dict) -> dict[str, str | None]:
    return {c["name"]: c["primary_entity"] for c in ds["columns"]}


def anonymize(src: Path, out: Path, *extra: str):
    run = invoke(["anonymize", str(src), "-o", str(out), *extra])
    assert_no_traceback(run)
    return run


# --- item 3: XLSX <dimension> --------------------------------------------------------------


def test_xlsx_understated_dimension_hides_no_row(tmp_path, validate_findings):
    rows = people(504)
    src = write(tmp_path / "src" / "book.xlsx", xlsx_bytes(rows, dimension="A1:B4"))
    run, findings = scan(src.parent, tmp_path / "out")
    validate_findings(findings)
    ds = dataset(findings, "book.xlsx#people")
    assert ds["rows"] == 504 and ds["rows_scanned"] == 504
    assert entities(ds) == {"id_card": "CN_RESIDENT_ID", "mobile": "CN_MOBILE_PHONE"}
    assert run.code == 0
    # anonymize must transform the rows past the declared dimension too
    run = anonymize(src.parent, tmp_path / "anon")
    assert run.code == 0, run.console
    assert_no_raw([v for r in rows for v in r], run=run, roots=[tmp_path / "anon"])


def test_xlsx_overstated_dimension_reports_true_rows(tmp_path):
    src = write(tmp_path / "src" / "book.xlsx", xlsx_bytes(people(3), dimension="A1:XFD1048576"))
    run, findings = scan(src, tmp_path / "out")
    assert run.code == 0
    assert dataset(findings, "book.xlsx#people")["rows"] == 3


# --- item 6: CSV block size ------------------------------------------------------------------


def test_csv_row_over_a_megabyte_is_read(tmp_path):
    rows = people(20)
    body = csv_bytes(rows).decode().splitlines()
    body.insert(5, f"{rows[0][0]},{'x' * 1_500_000}")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "wide.csv").write_text("\n".join(body) + "\n")
    run, findings = scan(tmp_path / "src", tmp_path / "out")
    ds = dataset(findings, "wide.csv")
    assert run.code == 0 and not findings["errors"], findings["errors"]
    assert ds["rows"] == 21
    assert entities(ds)["id_card"] == "CN_RESIDENT_ID"


def test_csv_multiline_record_over_block_size_is_read(tmp_path):
    rows = people(5)
    text = csv_bytes(rows).decode() + f'{rows[0][0]},"{"line" * 10 + chr(10)}' * 1 + "x\n" * 200_000 + '"\n'
    write(tmp_path / "src" / "quoted.csv", text.encode())
    run, findings = scan(tmp_path / "src", tmp_path / "out")
    assert run.code == 0, findings["errors"]
    assert dataset(findings, "quoted.csv")["rows"] == 6


def test_header_only_csv_without_final_newline(tmp_path):
    write(tmp_path / "src" / "head.csv", b"id_card,mobile")
    run, findings = scan(tmp_path / "src", tmp_path / "out")
    assert run.code == 0 and not findings["errors"]
    ds = dataset(findings, "head.csv")
    assert ds["rows"] == 0 and [c["name"] for c in ds["columns"]] == ["id_card", "mobile"]


# --- whole-file loss: bad rows are skipped and counted ----------------------------------------


def _with_bad_line(kind: str, tmp_path: Path) -> tuple[Path, int]:
    """A 40-row file of ``kind`` with one bad line; returns the file and the bad line's number."""
    rows = people(40)
    if kind == "ragged":
        lines = csv_bytes(rows).split(b"\n")
        lines[17] = b"13812345678"
        return write(tmp_path / "src" / "ragged.csv", b"\n".join(lines)), 18
    if kind == "gbk":
        lines = ("id_card,mobile,name\n" + "".join(f"{a},{b},张三\n" for a, b in rows)).encode("gbk").split(b"\n")
        lines[12] = f"{rows[11][0]},{rows[11][1]},".encode() + b"\xff\xfe\xff"
        return write(tmp_path / "src" / "gbk.csv", b"\n".join(lines)), 13
    if kind == "encoding":
        lines = ("id_card,mobile,name\n" + "".join(f"{a},{b},张三\n" for a, b in rows)).encode().split(b"\n")
        lines[30] = f"{rows[29][0]},{rows[29][1]},李四".encode("gbk")
        return write(tmp_path / "src" / "mixed.csv", b"\n".join(lines)), 31
    if kind == "jsonl":
        lines = jsonl_bytes(rows).split(b"\n")
        lines[3] = b'{"id_card": "' + rows[3][0].encode() + b'", SECRET}'
        return write(tmp_path / "src" / "bad.jsonl", b"\n".join(lines)), 4
    if kind == "text":
        lines = text_bytes(rows).decode().replace("login", "用户登录").encode().split(b"\n")
        lines[6] = "用户登录 张三".encode("gbk") + b"\xff\xfe"
        return write(tmp_path / "src" / "app.log", b"\n".join(lines)), 7
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["ragged", "gbk", "encoding", "jsonl", "text"])
def test_one_bad_row_does_not_lose_the_file(kind, tmp_path, validate_findings):
    src, line = _with_bad_line(kind, tmp_path)
    run, findings = scan(src.parent, tmp_path / "out")
    validate_findings(findings)
    assert run.code == 3
    ds = dataset(findings, src.name)
    assert ds["rows"] == 39 and ds["columns"], ds
    found = set(entities(ds).values())
    assert found & {"CN_RESIDENT_ID", "CN_MOBILE_PHONE"}, entities(ds)
    [message] = ds["errors"]
    assert message.startswith(f"1 bad row skipped (line {line})"), message
    line_text = assert_error_line(run, src.name, "bad row")
    assert "SECRET" not in line_text and "13812345678" not in run.console
    # --on-bad-rows fail: the file fails as a whole, one line naming the line number
    run, findings = scan(src.parent, tmp_path / "out2", "--on-bad-rows", "fail")
    assert run.code == 3
    ds = dataset(findings, src.name)
    assert not ds["columns"] and f"line {line}" in ds["errors"][0]


@pytest.mark.parametrize("suffix", [".csv", ".log"])
def test_a_nul_byte_does_not_lose_the_file(suffix, tmp_path):
    """A stray NUL is a character like any other: its line is read, so is the rest."""
    rows = people(40)
    data = csv_bytes(rows) if suffix == ".csv" else text_bytes(rows)
    lines = data.split(b"\n")
    lines[9] = lines[9][:5] + b"\x00" + lines[9][5:]
    src = write(tmp_path / "src" / f"nul{suffix}", b"\n".join(lines))
    run, findings = scan(src.parent, tmp_path / "out")
    assert run.code == 0 and not findings["errors"]
    ds = dataset(findings, src.name)
    assert ds["rows"] == 40 and not ds["errors"]
    assert "CN_RESIDENT_ID" in entities(ds).values()


def test_bad_row_line_numbers_are_capped(tmp_path):
    rows = people(30)
    lines = csv_bytes(rows).split(b"\n")
    for i in range(2, 30, 3):
        lines[i] = b"only-one-field"
    src = write(tmp_path / "src" / "many.csv", b"\n".join(lines))
    run, findings = scan(src.parent, tmp_path / "out")
    [message] = dataset(findings, "many.csv")["errors"]
    assert message == "10 bad rows skipped (lines 3, 6, 9, 12, 15, …): wrong number of fields"


def test_on_bad_rows_from_config(tmp_path):
    src, _line = _with_bad_line("ragged", tmp_path)
    cfg = write(tmp_path / "cfg.yaml", f"sources: [{src.parent}]\non_bad_rows: fail\n".encode())
    run = invoke(["scan", "--config", str(cfg), "-o", str(tmp_path / "out"), "--no-history", "-q"])
    assert_no_traceback(run)
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert run.code == 3 and not dataset(findings, "ragged.csv")["columns"]
    assert findings["scan"]["parameters"]["on_bad_rows"] == "fail"


def test_anonymize_leaves_bad_rows_out_and_says_so(tmp_path):
    src, _line = _with_bad_line("ragged", tmp_path)
    before = snapshot(tmp_path)
    run = anonymize(src.parent, tmp_path / "anon")
    assert run.code == 3
    assert_error_line(run, "ragged.csv", "bad row skipped")
    out = (tmp_path / "anon" / "ragged.csv").read_text()
    assert len(out.splitlines()) == 40  # header + 39 rows: the ragged one is not copied raw
    assert_no_raw([v for r in people(40) for v in r] + ["13812345678"], run=run, roots=[tmp_path / "anon"])
    assert_only_inside(before, snapshot(tmp_path), ["anon", ".piiwarden"])  # .piiwarden: the audit log


def test_anonymize_refuses_jsonl_it_cannot_mirror(tmp_path):
    src, _line = _with_bad_line("jsonl", tmp_path)
    run = anonymize(src.parent, tmp_path / "anon")
    assert run.code == 3
    assert_error_line(run, "bad.jsonl", "nothing written")
    assert not (tmp_path / "anon" / "bad.jsonl").exists()


# --- duplicate JSON keys ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_duplicate_json_key_first_value_is_scanned(suffix, tmp_path):
    rows = people(30)
    records = [f'{{"mobile": "{b}", "mobile": "n/a", "id_card": "{a}"}}' for a, b in rows]
    text = ("[" + ",\n".join(records) + "]\n") if suffix == ".json" else "\n".join(records) + "\n"
    src = write(tmp_path / "src" / f"dup{suffix}", text.encode())
    run, findings = scan(src.parent, tmp_path / "out")
    assert run.code == 0
    cols = entities(dataset(findings, src.name))
    assert cols["mobile"] == "CN_MOBILE_PHONE" and "mobile#2" in cols
    run = anonymize(src.parent, tmp_path / "anon")
    assert run.code == 3
    assert_error_line(run, src.name, "repeats a key")
    assert_no_raw([b for _a, b in rows], run=run, roots=[tmp_path / "anon"])


# --- per-cell / per-line limit ----------------------------------------------------------------


def test_huge_line_is_a_bad_row_not_a_memory_spike(tmp_path):
    rows = people(10)
    lines = text_bytes(rows).split(b"\n")
    lines.insert(4, b"A" * 3_000_000)
    src = write(tmp_path / "src" / "big.log", b"\n".join(lines))
    run, findings = scan(src.parent, tmp_path / "out", "--max-cell-bytes", "1000000")
    assert run.code == 3
    ds = dataset(findings, "big.log")
    assert ds["rows"] == 10
    assert ds["errors"] == ["1 bad row skipped (line 5): line over --max-cell-bytes"]
    assert findings["scan"]["parameters"]["max_cell_bytes"] == 1_000_000


def test_xlsx_cell_over_limit_names_the_row(tmp_path):
    rows = people(10)
    data = xlsx_bytes(rows)
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.active["B5"] = " " * 50_000
    sink = io.BytesIO()
    wb.save(sink)
    src = write(tmp_path / "src" / "ws.xlsx", sink.getvalue())
    run, findings = scan(src.parent, tmp_path / "out", "--max-cell-bytes", "10000")
    assert run.code == 3
    ds = dataset(findings, "ws.xlsx#people")
    assert ds["rows"] == 9 and ds["errors"] == ["1 bad row skipped (row 5): cell over --max-cell-bytes"]


def test_xlsx_whitespace_bomb_is_refused_quickly(tmp_path):
    bomb = b" " * (200 << 20)

    def inflate(xml: bytes) -> bytes:
        return xml.replace(b"<sheetData>", b"<sheetData>" + bomb, 1)

    src = write(tmp_path / "src" / "bomb.xlsx", rewrite_part(xlsx_bytes(people(3)), "xl/worksheets/sheet1.xml",
                                                               inflate))
    assert src.stat().st_size < 2 << 20
    run = run_cli(["scan", src.parent, "-o", tmp_path / "out", "--no-history", "-q"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 3
    assert_error_line(run, "bomb.xlsx", "zip bomb")


# --- the rest of the family -------------------------------------------------------------------


def test_truncated_and_corrupt_parquet(tmp_path):
    data = VALID[".parquet"](people(30))
    write(tmp_path / "src" / "cut.parquet", data[: len(data) // 2])
    write(tmp_path / "src" / "flipped.parquet", data[:100] + bytes(b ^ 0xFF for b in data[100:400]) + data[400:])
    write(tmp_path / "src" / "ok.csv", csv_bytes(people(5)))
    run, findings = scan(tmp_path / "src", tmp_path / "out")
    assert run.code == 3
    assert_error_line(run, "cut.parquet")
    assert dataset(findings, "ok.csv")["columns"]
    for e in findings["errors"]:
        assert "\n" not in e["error"]


ALL_SUFFIXES = [".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet", ".xlsx", ".txt", ".log", ".db",
                ".sqlite", ".duckdb"]


def test_random_bytes_under_every_extension(tmp_path):
    rng = __import__("random").Random(14)
    for suffix in ALL_SUFFIXES:
        write(tmp_path / "src" / f"junk{suffix}", bytes(rng.randrange(256) for _ in range(20_000)))
    write(tmp_path / "src" / "ok.csv", csv_bytes(people(5)))
    run = run_cli(["scan", tmp_path / "src", "-o", tmp_path / "out", "--no-history", "-q"], timeout=120)
    assert_no_traceback(run)
    assert run.code == 3
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert dataset(findings, "ok.csv")["columns"]
    failed = {Path(e["source"]).name for e in findings["errors"]} | {
        d["id"].split("#")[0] for d in findings["datasets"] if d["errors"]}
    for suffix in ALL_SUFFIXES:
        assert f"junk{suffix}" in failed, suffix
    for e in findings["errors"]:
        assert "\n" not in e["error"]


_XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b'<si><t>&xxe;</t></si></sst>')
_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
           + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 if i > 1 else "") + ";") * 10}">'.encode()
                      for i in range(1, 10))
           + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
             b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')


@pytest.mark.parametrize("payload", [_XXE, _LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_entities_in_xlsx(payload, tmp_path):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["name"])
    wb.active.append(["placeholder"])
    sink = io.BytesIO()
    wb.save(sink)
    data = sink.getvalue()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    part = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/worksheets/sheet1.xml"
    src = write(tmp_path / "src" / "ent.xlsx", rewrite_part(data, part, lambda _xml: payload))
    run = run_cli(["scan", src.parent, "-o", tmp_path / "out", "--no-history", "-q"], timeout=60)
    assert_no_traceback(run)
    assert run.code in (0, 3)
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    out_text = (tmp_path / "out" / "findings.json").read_text()
    if len(hostname) >= 6:
        assert hostname not in out_text, "an external entity was resolved"
    assert "lollollol" not in out_text


def test_deep_json_nesting(tmp_path):
    write(tmp_path / "src" / "deep.json", b"[" * 100_000 + b"]" * 100_000)
    write(tmp_path / "src" / "deep.jsonl", jsonl_bytes(people(5)) + b"[" * 100_000 + b"\n" + jsonl_bytes(people(3)))
    run = run_cli(["scan", tmp_path / "src", "-o", tmp_path / "out", "--no-history", "-q"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 3
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert_error_line(run, "deep.json", "nested too deeply")
    assert dataset(findings, "deep.jsonl")["rows"] == 8
    assert dataset(findings, "deep.jsonl")["errors"] == ["1 bad row skipped (line 6): invalid JSON"] or \
        dataset(findings, "deep.jsonl")["errors"] == ["1 bad row skipped (line 6): nested too deeply"]


def test_corrupt_sqlite_file(tmp_path):
    db = tmp_path / "src" / "app.db"
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.execute("create table t (id_card text, mobile text)")
    con.executemany("insert into t values (?, ?)", people(200))
    con.commit()
    con.close()
    data = bytearray(db.read_bytes())
    data[4096:8192] = os.urandom(4096)
    db.write_bytes(bytes(data))
    run = run_cli(["scan", db.parent, "-o", tmp_path / "out", "--no-history", "-q"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 3
    assert_error_line(run, "app.db")


def test_locked_sqlite_file_is_one_error_not_a_hang(tmp_path):
    db = tmp_path / "src" / "locked.db"
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.execute("create table t (id_card text, mobile text)")
    con.executemany("insert into t values (?, ?)", people(50))
    con.commit()
    con.close()
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("insert into t values ('x', 'y')")
    done = threading.Event()
    try:
        run = run_cli(["scan", db.parent, "-o", tmp_path / "out", "--no-history", "-q"], timeout=120)
    finally:
        done.set()
        holder.execute("ROLLBACK")
        holder.close()
    assert_no_traceback(run)
    assert run.code == 3
    assert_error_line(run, "locked.db")


def test_big_file_sample_keeps_decodable_lines(tmp_path, monkeypatch):
    """Files over SAMPLE_MIN_BYTES are sampled by offsets: a foreign line must not fail the sample."""
    from scanner.connectors import filesample
    from scanner.connectors.csvfile import open_csv

    rows = people(400)
    lines = ("id_card,mobile,name\n" + "".join(f"{a},{b},张三\n" for a, b in rows)).encode().split(b"\n")
    for i in range(5, 400, 50):
        lines[i] = "王五,".encode("gbk") + b"\xff\xfe,x"
    lines[200] = b"9" * 5000  # over the (patched) cell limit: skipped, not held
    src = write(tmp_path / "big.csv", b"\n".join(lines))
    monkeypatch.setattr(filesample, "SAMPLE_MIN_BYTES", 1)
    monkeypatch.setattr(filesample, "DEFAULT_MAX_CELL_BYTES", 1000)
    [ds] = open_csv(src, "big.csv", "big.csv")
    assert ds.sample is not None
    sampled = [b for b in ds.sampled_batches(200)]
    got = sum(b.num_rows for b in sampled)
    assert 0 < got <= 400
    values = {v for b in sampled for v in b.column("id_card").to_pylist()}
    assert values <= {a for a, _b in rows} | {None}

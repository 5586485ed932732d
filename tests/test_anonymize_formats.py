"""Whole datasets in every format: mirrored outputs, untouched columns, atomic writes, k-anonymity."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook, load_workbook

from detectors.validators import luhn_check_digit, resident_id_check_char
from scanner.anonymize.kanon import KAnonymity
from scanner.anonymize.keys import Key
from scanner.anonymize.rules import Rules, RulesFile
from scanner.anonymize.run import RECORD_NAME, run_anonymize, run_decrypt
from scanner.policy.model import Policy
from scanner.sources import resolve_sources
from scanner.writers.base import TEMP_MARK, remove_stale_temps

KEY = Key(bytes(range(32)), "test")
ROWS = 80


def _id(rng: random.Random) -> str:
    body = rng.choice(["110105", "440304", "320106"]) + (
        f"{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    return body + resident_id_check_char(body)


def _card(rng: random.Random) -> str:
    partial = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return partial + luhn_check_digit(partial)


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice(['135', '138', '139', '158', '186', '188'])}{rng.randint(0, 10**8 - 1):08d}"


class Fixture:
    """A source tree in every format, and the raw sensitive values it holds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw: set[str] = set()
        self.shared_mobile = "13912345678"
        rng = random.Random(5)
        self._csv(rng)
        self._tsv(rng)
        self._jsonl(rng)
        self._json(rng)
        self._parquet(rng)
        self._xlsx(rng)
        self._log(rng)
        self._sqlite(rng)
        (root / "sku.csv").write_bytes(b"sku;qty\r\n" + b"".join(b'"A%d";%d\r\n' % (i, i) for i in range(20)))

    def keep(self, value: str) -> str:
        self.raw.add(value)
        return value

    def _csv(self, rng: random.Random) -> None:
        lines = ["客户编号,姓名,身份证号,手机号,银行卡号,备注"]
        for i in range(ROWS):
            mobile = self.shared_mobile if i == 0 else ("" if i % 10 == 5 else self.keep(_mobile(rng)))
            lines.append(f"C{i:05d},张{i},{self.keep(_id(rng))},{mobile},{self.keep(_card(rng))},客户要求回电")
        (self.root / "crm").mkdir(parents=True)
        (self.root / "crm" / "customers.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))

    def _tsv(self, rng: random.Random) -> None:
        rows = ["order_id\tmobile\tamount"] + [f"O{i}\t{self.keep(_mobile(rng))}\t{i * 3}.50" for i in range(ROWS)]
        (self.root / "orders.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")

    def _jsonl(self, rng: random.Random) -> None:
        out = []
        for i in range(ROWS):
            mobile = self.shared_mobile if i == 0 else self.keep(_mobile(rng))
            out.append(json.dumps({"id": i, "user": {"contact": {"email": self.keep(f"user{i}@example.com"),
                                                                 "mobile": int(mobile)}}, "tags": ["a", "b"]},
                                  ensure_ascii=False))
        (self.root / "events.jsonl").write_text("\n".join(out[:40]) + "\n\n" + "\n".join(out[40:]) + "\n",
                                                encoding="utf-8")

    def _json(self, rng: random.Random) -> None:
        records = [{"name": f"客户{i}", "phones": [self.keep(_mobile(rng)), self.keep(_mobile(rng))],
                    "meta": {"level": i % 3, "score": 1.5}} for i in range(ROWS)]
        (self.root / "profiles.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")

    def _parquet(self, rng: random.Random) -> None:
        table = pa.table({
            "waybill": [f"SF{i:010d}" for i in range(ROWS)],
            "receiver_tel": [self.keep(_mobile(rng)) for _ in range(ROWS)],
            "weight": [i * 0.5 for i in range(ROWS)],
            "qty": pa.array(list(range(ROWS)), type=pa.int32()),
        }).replace_schema_metadata({"origin": "test"})
        (self.root / "wh").mkdir()
        pq.write_table(table, self.root / "wh" / "shipments.parquet", compression="zstd")

    def _xlsx(self, rng: random.Random) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "客户"
        ws.append(["编号", "手机号", "金额"])
        for i in range(ROWS):
            ws.append([f"K{i}", self.keep(_mobile(rng)), i * 10])
        other = wb.create_sheet("Other")
        other.append(["sku", "qty"])
        for i in range(5):
            other.append([f"A{i}", i])
        wb.save(self.root / "book.xlsx")

    def _log(self, rng: random.Random) -> None:
        lines = []
        for i in range(ROWS):
            if i % 2:
                lines.append(f"[worker-{i}] INFO 用户{self.keep(_mobile(rng))}来电，证件{self.keep(_id(rng))}已核验")
            else:
                lines.append(f"[worker-{i}] INFO heartbeat")
        (self.root / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _sqlite(self, rng: random.Random) -> None:
        db = sqlite3.connect(self.root / "crm.db")
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, id_card TEXT, mobile TEXT, amount REAL)")
        db.execute("CREATE TABLE inventory (item TEXT, qty INTEGER)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)",
                       [(i, self.keep(_id(rng)), self.keep(_mobile(rng)), i * 1.25) for i in range(ROWS)])
        db.executemany("INSERT INTO inventory VALUES (?, ?)", [(f"item{i}", i) for i in range(10)])
        db.commit()
        db.close()


RULES = Rules(RulesFile.model_validate({
    "entities": {"CN_MOBILE_PHONE": {"op": "hash"}, "CN_RESIDENT_ID": {"op": "encrypt"}, "BANK_CARD": {"op": "fpe"}},
}))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fixture, Path, dict]:
    base = tmp_path_factory.mktemp("anon")
    fixture = Fixture(base / "src")
    fixture.before = _digests(fixture.root)
    out = base / "out"
    result = run_anonymize([str(fixture.root)], out, RULES, None, KEY, None, lambda m: None)
    return fixture, out, result.record


def _digests(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_sources_are_left_exactly_as_they_were(world):
    fixture, _, _ = world
    assert _digests(fixture.root) == fixture.before  # same files, bytes and modification times


def _tables(root: Path) -> dict[str, pa.Table]:
    datasets, errors = resolve_sources([str(root)])
    assert errors == []
    return {d.id: pa.Table.from_batches(list(d.batches())) for d in datasets if d.id != RECORD_NAME}


def _columns(record: dict) -> dict[tuple[str, str], dict]:
    return {(d["id"], c["name"]): c for d in record["datasets"] for c in d["columns"]}


def test_every_dataset_is_mirrored_with_rows_in_order(world):
    fixture, out, record = world
    assert record["errors"] == []
    src, dst = _tables(fixture.root), _tables(out)
    assert set(src) == set(dst)
    for ds_id, table in src.items():
        assert dst[ds_id].num_rows == table.num_rows, ds_id
        assert dst[ds_id].column_names == table.column_names, ds_id


def test_untouched_columns_are_identical_and_sensitive_ones_changed(world):
    fixture, out, record = world
    src, dst = _tables(fixture.root), _tables(out)
    touched = _columns(record)
    for ds_id, table in src.items():
        for name in table.column_names:
            before, after = table.column(name).to_pylist(), dst[ds_id].column(name).to_pylist()
            if (ds_id, name) not in touched:
                assert after == before, (ds_id, name)
            elif touched[(ds_id, name)]["rule"]["op"] != "keep":
                for b, a in zip(before, after):
                    if b in (None, ""):
                        assert a == b  # empty cells stay empty
    expected = {("crm/customers.csv", "身份证号"), ("crm/customers.csv", "手机号"), ("crm/customers.csv", "银行卡号"),
                ("orders.tsv", "mobile"), ("events.jsonl", "user.contact.email"), ("events.jsonl", "user.contact.mobile"),
                ("profiles.json", "phones"), ("wh/shipments.parquet", "receiver_tel"), ("book.xlsx#客户", "手机号"),
                ("app.log", "text"), ("crm.db#customers", "id_card"), ("crm.db#customers", "mobile")}
    assert expected <= set(touched)
    assert touched[("crm/customers.csv", "手机号")]["empty"] == ROWS // 10
    assert ("crm/customers.csv", "客户编号") not in touched


def test_no_raw_value_anywhere_in_the_output(world):
    fixture, out, _ = world
    text = []
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text.append(data.decode("gb18030", errors="ignore"))
    for table in _tables(out).values():
        text.append(json.dumps(table.to_pylist(), ensure_ascii=False))
    blob = "\n".join(text)
    leaked = [v for v in fixture.raw if v in blob]
    assert leaked == []


def test_csv_keeps_gbk_crlf_header_and_tsv_keeps_bom_and_tabs(world):
    fixture, out, _ = world
    raw = (out / "crm" / "customers.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.split(b"\r\n")[0] == "客户编号,姓名,身份证号,手机号,银行卡号,备注".encode("gb18030")
    assert raw.count(b"\r\n") == ROWS + 1
    rows = list(csv.reader(raw.decode("gb18030").splitlines()))
    assert rows[6][3] == "" and rows[6][0] == "C00005"  # the empty mobile cell stays empty
    tsv = (out / "orders.tsv").read_bytes()
    assert tsv.startswith(b"\xef\xbb\xbforder_id\tmobile\tamount\n")


def test_a_file_with_nothing_sensitive_is_copied_byte_for_byte(world):
    fixture, out, record = world
    assert (out / "sku.csv").read_bytes() == (fixture.root / "sku.csv").read_bytes()
    assert next(d for d in record["datasets"] if d["id"] == "sku.csv")["rows"] == 20


def test_hash_is_deterministic_across_files_and_runs(world, tmp_path: Path):
    fixture, out, _ = world
    dst = _tables(out)
    in_csv = dst["crm/customers.csv"].column("手机号")[0].as_py()
    in_jsonl = dst["events.jsonl"].column("user.contact.mobile")[0].as_py()
    assert in_csv == in_jsonl and len(in_csv) == 32  # same person joins across files
    again = run_anonymize([str(fixture.root / "orders.tsv")], tmp_path / "again", RULES, None, KEY, None, lambda m: None)
    assert again.record["errors"] == []
    first = dst["orders.tsv"].column("mobile").to_pylist()
    second = _tables(tmp_path / "again")["orders.tsv"].column("mobile").to_pylist()
    assert first == second  # and across runs


def test_parquet_schema_xlsx_sheets_json_nesting_sqlite_schema(world):
    fixture, out, _ = world
    assert pq.read_schema(out / "wh" / "shipments.parquet") == pq.read_schema(fixture.root / "wh" / "shipments.parquet")
    assert pq.read_schema(out / "wh" / "shipments.parquet").metadata[b"origin"] == b"test"
    wb = load_workbook(out / "book.xlsx")
    assert wb.sheetnames == ["客户", "Other"]
    assert isinstance(wb["客户"]["C2"].value, int)  # an untouched number stays a number

    def shape(value):  # noqa: ANN001, ANN202
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return type(value).__name__

    src = json.loads((fixture.root / "profiles.json").read_text(encoding="utf-8"))
    dst = json.loads((out / "profiles.json").read_text(encoding="utf-8"))
    assert shape(dst) == shape(src)
    assert (out / "profiles.json").read_text(encoding="utf-8").startswith('[\n  {\n    "name"')
    src_lines = (fixture.root / "events.jsonl").read_text(encoding="utf-8").split("\n")
    dst_lines = (out / "events.jsonl").read_text(encoding="utf-8").split("\n")
    assert len(dst_lines) == len(src_lines) and dst_lines[40] == ""
    assert json.loads(dst_lines[1])["tags"] == ["a", "b"] and json.loads(dst_lines[1])["id"] == 1
    db = sqlite3.connect(out / "crm.db")
    src_db = sqlite3.connect(fixture.root / "crm.db")
    schema = "SELECT name, sql FROM sqlite_master ORDER BY name"
    assert db.execute(schema).fetchall() == src_db.execute(schema).fetchall()
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT id, amount FROM customers").fetchall() == src_db.execute(
        "SELECT id, amount FROM customers").fetchall()
    db.close()
    src_db.close()


def test_free_text_changes_only_the_spans(world):
    fixture, out, _ = world
    src = (fixture.root / "app.log").read_text(encoding="utf-8").split("\n")
    dst = (out / "app.log").read_text(encoding="utf-8").split("\n")
    assert len(src) == len(dst) and dst[-1] == ""
    assert dst[0] == src[0]  # a line without identifiers is untouched
    assert dst[1].startswith("[worker-1] INFO 用户") and "来电，证件pwe1:" in dst[1] and dst[1].endswith("已核验")


def test_encrypt_round_trips_through_decrypt(world, tmp_path: Path):
    fixture, out, record = world
    assert record["run"]["key_fingerprint"] == KEY.fingerprint
    result = run_decrypt([str(out)], tmp_path / "plain", KEY, lambda m: None)
    assert result.record["errors"] == []
    restored = _tables(tmp_path / "plain")
    original = _tables(fixture.root)
    assert restored["crm/customers.csv"].column("身份证号") == original["crm/customers.csv"].column("身份证号")
    assert restored["crm.db#customers"].column("id_card") == original["crm.db#customers"].column("id_card")
    assert restored["app.log"].column("text").to_pylist()[1].split("证件")[1] == \
        original["app.log"].column("text").to_pylist()[1].split("证件")[1]


def test_database_url_goes_to_parquet_or_target(world, tmp_path: Path):
    fixture, _, _ = world
    url = f"sqlite:///{fixture.root / 'crm.db'}"
    result = run_anonymize([url], tmp_path / "pq", RULES, None, KEY, None, lambda m: None)
    assert result.record["errors"] == []
    table = pq.read_table(tmp_path / "pq" / "customers.parquet")
    assert table.num_rows == ROWS and table.column("id_card")[0].as_py().startswith("pwe1:")
    target = tmp_path / "target.db"
    result = run_anonymize([url], tmp_path / "t", RULES, None, KEY, f"sqlite:///{target}", lambda m: None)
    assert result.record["errors"] == []
    db = sqlite3.connect(target)
    rows = db.execute("SELECT id, id_card, amount FROM customers ORDER BY id").fetchall()
    assert len(rows) == ROWS and rows[3][0] == 3 and rows[3][2] == 3.75 and rows[3][1].startswith("pwe1:")
    assert db.execute("SELECT count(*) FROM inventory").fetchone() == (10,)
    db.close()


def test_interrupted_run_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    src = tmp_path / "src"
    src.mkdir()
    rng = random.Random(3)
    lines = [json.dumps({"i": i, "mobile": _mobile(rng)}) for i in range(25_000)]
    (src / "big.jsonl").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "big.jsonl").write_text("previous run\n", encoding="utf-8")
    calls = {"n": 0}

    from scanner.anonymize import engine

    original = engine.make_transform

    def crashing(plans, kanon):  # noqa: ANN001, ANN202
        inner = original(plans, kanon)

        def transform(batch):  # noqa: ANN001, ANN202
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            return inner(batch)

        return transform

    monkeypatch.setattr(engine, "make_transform", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_anonymize([str(src)], out, Rules(), None, None, None, lambda m: None)
    assert calls["n"] == 2
    assert (out / "big.jsonl").read_text(encoding="utf-8") == "previous run\n"  # old output intact
    assert not [p for p in out.iterdir() if TEMP_MARK in p.name]
    assert (src / "big.jsonl").read_text(encoding="utf-8") == "\n".join(lines)  # source untouched
    (out / f".x.csv{TEMP_MARK}dead").write_text("half", encoding="utf-8")
    assert remove_stale_temps(out) == 1


def test_k_anonymity_on_a_hand_made_table():
    k = KAnonymity(["性别", "城市", "缺失列"], k_threshold=3)
    batch = pa.record_batch({
        "性别": ["男", "男", "男", "男", "女", "女", "男", None, None, None],
        "城市": ["北京", "北京", "北京", "北京", "北京", "北京", "上海", "上海", "上海", "上海"],
    })
    k.update(batch.slice(0, 4))
    k.update(batch.slice(4))
    result = k.result()
    assert result["k"] == 1
    assert result["classes"] == 4  # (男,北京)=4, (女,北京)=2, (男,上海)=1, (None,上海)=3
    assert result["classes_under_k"] == 2 and result["records_under_k"] == 3
    assert result["records"] == 10 and result["missing"] == ["缺失列"] and not result["meets_threshold"]


def test_k_anonymity_is_measured_on_the_generalized_output(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    lines = ["编号,性别,出生日期,城市"]
    for i in range(60):
        lines.append(f"P{i},{'男' if i % 2 else '女'},{1980 + i % 3}-0{1 + i % 9}-1{i % 10},{'北京' if i < 30 else '上海'}")
    (src / "people.csv").write_text("\n".join(lines), encoding="utf-8")
    policy = Policy.model_validate({"datasets": [{"match": "people.csv", "quasi_identifiers": ["性别", "出生日期", "城市"],
                                                  "k_threshold": 5}]})
    keep = Rules(RulesFile.model_validate({"columns": {"people.csv:出生日期": {"op": "keep"}}}))
    plain = run_anonymize([str(src)], tmp_path / "a", keep, policy, None, None, lambda m: None)
    assert plain.record["datasets"][0]["k_anonymity"]["k"] == 1
    rules = Rules(RulesFile.model_validate({"columns": {"people.csv:出生日期": {"op": "generalize", "to": "year"}}}))
    general = run_anonymize([str(src)], tmp_path / "b", rules, policy, None, None, lambda m: None)
    k = general.record["datasets"][0]["k_anonymity"]
    assert k["k"] == 5 and k["classes"] == 12 and k["meets_threshold"]


def test_duckdb_file_becomes_a_duckdb_file(tmp_path: Path):
    duckdb = pytest.importorskip("duckdb")
    src = tmp_path / "src"
    src.mkdir()
    rng = random.Random(4)
    con = duckdb.connect(str(src / "wh.duckdb"))
    con.execute("CREATE TABLE people (id INTEGER, mobile VARCHAR, amount DOUBLE)")
    mobiles = [_mobile(rng) for _ in range(ROWS)]
    con.executemany("INSERT INTO people VALUES (?, ?, ?)", [(i, m, i * 1.5) for i, m in enumerate(mobiles)])
    con.close()
    result = run_anonymize([str(src)], tmp_path / "out", Rules(), None, None, None, lambda m: None)
    assert result.record["errors"] == []
    con = duckdb.connect(str(tmp_path / "out" / "wh.duckdb"), read_only=True)
    rows = con.execute("SELECT id, mobile, amount FROM people ORDER BY id").fetchall()
    types = [r[1] for r in con.execute("DESCRIBE people").fetchall()]
    con.close()
    assert types == ["INTEGER", "VARCHAR", "DOUBLE"]
    assert [r[0] for r in rows] == list(range(ROWS)) and rows[2][2] == 3.0
    assert [r[1] for r in rows] == [m[:3] + "******" + m[-2:] for m in mobiles]
    assert not any(m.encode() in (tmp_path / "out" / "wh.duckdb").read_bytes() for m in mobiles)

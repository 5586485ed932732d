"""Connectors and source discovery, on fixtures built in each test's tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import ReadOptions, detect_encoding, unique_names
from scanner.connectors.csvfile import open_csv
from scanner.connectors.jsonfile import open_json, open_jsonl
from scanner.connectors.parquetfile import open_parquet
from scanner.connectors.sqldb import open_database_file, open_database_url
from scanner.connectors.textfile import open_text
from scanner.connectors.urls import mask_url
from scanner.connectors.xlsxfile import open_xlsx
from scanner.sources import missing_sources, resolve_sources

ID_X = "11010519491231002X"
EVIL = 'a"; DROP TABLE x; --'


def table_of(ds: Dataset) -> pa.Table:
    batches = list(ds.batches())
    assert batches, "a dataset with columns yields at least one batch"
    return pa.Table.from_batches(batches)


def rows_of(ds: Dataset) -> list[dict]:
    return table_of(ds).to_pylist()


def only(datasets: list[Dataset]) -> Dataset:
    assert len(datasets) == 1
    return datasets[0]


# --------------------------------------------------------------------------- CSV / TSV


def test_csv_utf8_keeps_identifier_text(tmp_path: Path) -> None:
    f = tmp_path / "people.csv"
    f.write_text(f"name,id_card,code\nAlice,{ID_X},0123\nBob,110105194912310021,007\n", encoding="utf-8")
    ds = only(open_csv(f, "people.csv", "src"))
    assert (ds.format, ds.meta["encoding"], ds.meta["delimiter"]) == ("csv", "utf-8", ",")
    table = table_of(ds)
    assert table.schema.names == ["name", "id_card", "code"]
    assert all(t == pa.string() for t in table.schema.types)
    assert table.column("id_card").to_pylist() == [ID_X, "110105194912310021"]
    assert table.column("code").to_pylist() == ["0123", "007"]
    assert ds.source == "src" and ds.location == str(f)


def test_csv_utf8_bom_header_is_clean(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    f.write_bytes("姓名,手机号\n张三,13812345678\n".encode("utf-8-sig"))
    ds = only(open_csv(f, "bom.csv", "src"))
    assert ds.meta["encoding"] == "utf-8-sig"
    assert rows_of(ds) == [{"姓名": "张三", "手机号": "13812345678"}]


def test_csv_gbk_detected_from_bytes(tmp_path: Path) -> None:
    f = tmp_path / "gbk.csv"
    text = (
        "姓名,身份证号,手机号,地址\n"
        f"张三,{ID_X},13812345678,北京市朝阳区建国路88号\n"
        "李四,0123,13900001111,上海市浦东新区世纪大道100号\n"
    )
    f.write_bytes(text.encode("gbk"))
    ds = only(open_csv(f, "gbk.csv", "src"))
    assert ds.meta["encoding"] == "gb18030"
    rows = rows_of(ds)
    assert list(rows[0]) == ["姓名", "身份证号", "手机号", "地址"]
    assert rows[0]["身份证号"] == ID_X
    assert rows[1] == {
        "姓名": "李四",
        "身份证号": "0123",
        "手机号": "13900001111",
        "地址": "上海市浦东新区世纪大道100号",
    }


def test_tsv_gb18030(tmp_path: Path) -> None:
    f = tmp_path / "staff.tsv"
    text = (
        "员工姓名\t银行卡号\t备注\n王五\t6222021234567890123\t研发部门员工，入职三年\n赵六\t0000123\t市场部\n"
    )
    f.write_bytes(text.encode("gb18030"))
    ds = only(open_csv(f, "staff.tsv", "src"))
    assert (ds.format, ds.meta["encoding"], ds.meta["delimiter"]) == ("tsv", "gb18030", "\t")
    assert rows_of(ds)[1] == {"员工姓名": "赵六", "银行卡号": "0000123", "备注": "市场部"}


def test_csv_semicolon_sniffed(tmp_path: Path) -> None:
    f = tmp_path / "euro.csv"
    f.write_text("name;phone;city\nAnna;0123456;Berlin, Mitte\nJan;0987;Köln\n", encoding="utf-8")
    ds = only(open_csv(f, "euro.csv", "src"))
    assert ds.meta["delimiter"] == ";" and ds.format == "csv"
    assert rows_of(ds)[0] == {"name": "Anna", "phone": "0123456", "city": "Berlin, Mitte"}


def test_tab_in_csv_named_file_is_tsv(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text("a\tb\n1\t2\n3\t4\n", encoding="utf-8")
    ds = only(open_csv(f, "export.csv", "src"))
    assert ds.format == "tsv"
    assert rows_of(ds) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_csv_duplicate_empty_headers_and_quoted_newlines(tmp_path: Path) -> None:
    f = tmp_path / "dup.csv"
    f.write_text('col,col,,"multi\nline"\n1,2,3,"x\ny"\n', encoding="utf-8")
    ds = only(open_csv(f, "dup.csv", "src"))
    assert rows_of(ds) == [{"col": "1", "col_2": "2", "column_3": "3", "multi\nline": "x\ny"}]


def test_unique_names_avoids_existing() -> None:
    assert unique_names(["a", "a", "a_2", None, "column_4"]) == ["a", "a_3", "a_2", "column_4_2", "column_4"]


def test_csv_header_only_yields_schema(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text("a,b\n", encoding="utf-8")
    table = table_of(only(open_csv(f, "empty.csv", "src")))
    assert table.num_rows == 0 and table.schema.names == ["a", "b"]


def test_csv_many_rows_stream_in_several_batches(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    with open(f, "w", encoding="utf-8") as fh:
        fh.write("n,phone\n")
        for i in range(400_000):
            fh.write(f"{i:07d},138{i:08d}\n")
    batches = list(only(open_csv(f, "big.csv", "src")).batches())
    assert len(batches) > 1  # streamed, not read whole
    table = pa.Table.from_batches(batches)
    assert table.num_rows == 400_000
    assert table.column("n")[399_999].as_py() == "0399999"


def test_ragged_csv_error_is_one_line_without_values(tmp_path: Path) -> None:
    f = tmp_path / "ragged.csv"
    f.write_text("a,b,c,d,e\n1,2,3,4,5\nsecretvalue,13812345678,x\n", encoding="utf-8")
    ds = only(open_csv(f, "ragged.csv", "src", ReadOptions(on_bad_rows="fail")))
    with pytest.raises(SourceError) as info:
        list(ds.batches())
    message = str(info.value)
    assert "\n" not in message
    assert "Expected 5 columns, got 3" in message
    assert "secretvalue" not in message and "13812345678" not in message
    # By default (--on-bad-rows skip) the other rows are read and the skip is one value-free line.
    ds = only(open_csv(f, "ragged.csv", "src"))
    assert sum(b.num_rows for b in ds.batches()) == 1
    assert ds.problems == ["1 bad row skipped (line 3): wrong number of fields"]


def test_binary_garbage_csv_is_source_error(tmp_path: Path) -> None:
    f = tmp_path / "garbage.csv"
    f.write_bytes(bytes(range(256)) * 64 + os.urandom(4096))
    with pytest.raises(SourceError) as info:
        ds = only(open_csv(f, "garbage.csv", "src"))
        list(ds.batches())
    assert "\n" not in str(info.value)
    assert "encoding" in str(info.value)


def test_utf8_multibyte_char_at_sample_boundary(tmp_path: Path) -> None:
    f = tmp_path / "edge.txt"
    # 3-byte characters, so one of them straddles the 1 MiB sample boundary.
    f.write_bytes(("a" + "中" * 400_000 + "\n").encode("utf-8"))
    assert detect_encoding(f) == "utf-8"


# --------------------------------------------------------------------------- JSON


def test_json_nested_and_arrays(tmp_path: Path) -> None:
    f = tmp_path / "users.json"
    records = [
        {
            "id": 1,
            "user": {"name": "张三", "contact": {"mobile": "13812345678"}},
            "tags": ["vip", "new"],
            "items": [{"sku": "A1", "price": 9.50}, {"sku": "B2"}],
            "active": True,
        },
        {"id": 2, "user": {"name": "李四"}, "extra": None, "score": 1e3},
    ]
    f.write_text(json.dumps(records, ensure_ascii=False).replace("9.5", "9.50"), encoding="utf-8")
    ds = only(open_json(f, "users.json", "src"))
    assert ds.format == "json"
    table = table_of(ds)
    assert table.schema.names == [
        "id",
        "user.name",
        "user.contact.mobile",
        "tags",
        "items.sku",
        "items.price",
        "active",
        "extra",
        "score",
    ]
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.schema.field("items.sku").type == pa.list_(pa.string())
    assert table.schema.field("user.contact.mobile").type == pa.string()
    first, second = table.to_pylist()
    assert first["id"] == "1" and first["active"] == "true"
    assert first["user.contact.mobile"] == "13812345678"
    assert first["tags"] == ["vip", "new"]
    assert first["items.sku"] == ["A1", "B2"]
    assert first["items.price"] == ["9.50", None]  # number text kept, aligned with sku
    assert second["user.contact.mobile"] is None and second["tags"] is None
    assert second["extra"] is None and second["score"] == "1000.0"


def test_json_top_level_object_is_one_row(tmp_path: Path) -> None:
    f = tmp_path / "one.json"
    f.write_text(
        '{"name": "x", "card": {"no": "6222021234567890123"}, "n": 0123.5}'.replace("0123.5", "123.50")
    )
    assert rows_of(only(open_json(f, "one.json", "src"))) == [
        {"name": "x", "card.no": "6222021234567890123", "n": "123.50"}
    ]


def test_jsonl_columns_first_seen_and_list_wrapping(tmp_path: Path) -> None:
    f = tmp_path / "events.jsonl"
    lines = [
        {"a": 1, "phone": "13812345678"},
        {},
        {"a": 2, "phone": ["13900001111", "13700002222"], "late": {"x": False}},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines[:2]) + "\n\n  \n" + json.dumps(lines[2]) + "\n")
    ds = only(open_jsonl(f, "events.jsonl", "src"))
    assert ds.format == "jsonl"
    table = table_of(ds)
    assert table.schema.names == ["a", "phone", "late.x"]
    assert table.schema.field("phone").type == pa.list_(pa.string())
    assert table.to_pylist() == [
        {"a": "1", "phone": ["13812345678"], "late.x": None},
        {"a": None, "phone": None, "late.x": None},
        {"a": "2", "phone": ["13900001111", "13700002222"], "late.x": "false"},
    ]
    # Read twice (sample, then full pass): same answer.
    assert table_of(ds).equals(table)


def test_jsonl_many_rows_batched(tmp_path: Path) -> None:
    f = tmp_path / "many.ndjson"
    f.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(BATCH_ROWS * 2 + 5)))
    batches = list(only(open_jsonl(f, "many.ndjson", "src")).batches())
    assert [b.num_rows for b in batches] == [BATCH_ROWS, BATCH_ROWS, 5]


def test_bad_jsonl_line_names_number_not_content(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"a": 1}\n\n{"a": "13812345678", SECRET}\n')
    ds = only(open_jsonl(f, "bad.jsonl", "src", ReadOptions(on_bad_rows="fail")))
    with pytest.raises(SourceError) as info:
        list(ds.batches())
    message = str(info.value)
    assert "line 3" in message
    assert "SECRET" not in message and "13812345678" not in message and "\n" not in message
    # By default (--on-bad-rows skip) the good line is read and the bad one counted by number.
    ds = only(open_jsonl(f, "bad.jsonl", "src"))
    assert sum(b.num_rows for b in ds.batches()) == 1
    assert ds.problems == ["1 bad row skipped (line 3): invalid JSON"]


def test_gbk_json(tmp_path: Path) -> None:
    f = tmp_path / "gbk.json"
    f.write_bytes(
        json.dumps([{"姓名": "张三", "地址": "北京市海淀区中关村大街1号"}], ensure_ascii=False).encode("gbk")
    )
    assert rows_of(only(open_json(f, "gbk.json", "src"))) == [
        {"姓名": "张三", "地址": "北京市海淀区中关村大街1号"}
    ]


# --------------------------------------------------------------------------- Parquet


def test_parquet_row_groups(tmp_path: Path) -> None:
    f = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": [f"{i:04d}" for i in range(9)], "n": list(range(9))}), f, row_group_size=3)
    ds = only(open_parquet(f, "t.parquet", "src"))
    assert ds.format == "parquet" and ds.rows == 9
    batches = list(ds.batches())
    assert len(batches) >= 3
    table = pa.Table.from_batches(batches)
    assert table.column("id").to_pylist() == [f"{i:04d}" for i in range(9)]
    assert table.column("n").to_pylist() == list(range(9))


def test_truncated_parquet_is_source_error(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"a": ["x"] * 100}), good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(SourceError) as info:
        only(open_parquet(bad, "bad.parquet", "src"))
    assert "\n" not in str(info.value) and "Parquet" in str(info.value)


# --------------------------------------------------------------------------- XLSX


def test_xlsx_sheets_are_datasets(tmp_path: Path) -> None:
    f = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append([None, None])  # leading empty row: header is the first non-empty one
    ws.append(["姓名", "手机", "生日", "金额", "姓名"])
    ws.append(["张三", 13812345678, dt.datetime(1990, 5, 17), 12.5, "dup"])
    ws.append([None, None, None, None, None])  # interior empty row is kept
    ws.append(["李四", "0123", dt.date(2001, 1, 2), 3.0, None])
    ws.append([None])  # trailing empty rows are not
    ws.append([None])
    other = wb.create_sheet("Orders")
    other.append(["order", "id_card"])
    other.append(["A-1", ID_X])
    wb.save(f)

    datasets = open_xlsx(f, "book.xlsx", "src")
    assert [d.id for d in datasets] == ["book.xlsx#客户", "book.xlsx#Orders"]
    assert all(d.format == "xlsx" for d in datasets)
    rows = rows_of(datasets[0])
    assert rows == [
        {"姓名": "张三", "手机": "13812345678", "生日": "1990-05-17", "金额": "12.5", "姓名_2": "dup"},
        {"姓名": None, "手机": None, "生日": None, "金额": None, "姓名_2": None},
        {"姓名": "李四", "手机": "0123", "生日": "2001-01-02", "金额": "3", "姓名_2": None},
    ]
    assert rows_of(datasets[1]) == [{"order": "A-1", "id_card": ID_X}]
    assert datasets[1].rows == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_xlsx_workbook_closed_after_reading(tmp_path: Path) -> None:
    f = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    wb.active.append(["1"])
    wb.save(f)

    def open_handles() -> int:
        return sum(1 for fd in os.listdir("/proc/self/fd") if _points_to(fd, f))

    def _points_to(fd: str, target: Path) -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}") == str(target)
        except OSError:
            return False

    ds = only(open_xlsx(f, "book.xlsx", "src"))
    assert open_handles() == 0
    assert rows_of(ds) == [{"a": "1"}]
    assert open_handles() == 0


# --------------------------------------------------------------------------- text


def test_text_file_lines(tmp_path: Path) -> None:
    f = tmp_path / "app.log"
    f.write_bytes("用户张三登录\r\nphone=13812345678\n\nlast line".encode("gb18030"))
    ds = only(open_text(f, "app.log", "src"))
    assert ds.format == "text"
    table = table_of(ds)
    assert table.schema.names == ["text"]
    assert table.column("text").to_pylist() == ["用户张三登录", "phone=13812345678", "", "last line"]


# --------------------------------------------------------------------------- SQLite


def make_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT, id_card TEXT, photo BLOB, balance REAL)")
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
        [(1, "张三", ID_X, b"\x01\xff", 1.5), (2, None, "0123", None, None)],
    )
    conn.execute(f'CREATE TABLE "{EVIL.replace(chr(34), chr(34) * 2)}" ("we""ird col" TEXT)')
    conn.execute(f'INSERT INTO "{EVIL.replace(chr(34), chr(34) * 2)}" VALUES (?)', ("ok",))
    conn.execute("CREATE TABLE x (v TEXT)")
    conn.execute("INSERT INTO x VALUES ('still here')")
    conn.commit()
    conn.close()


def test_sqlite_file_read_only_and_injection_safe(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    make_db(db)
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    datasets = {d.id: d for d in open_database_file("sqlite", db, "crm.db", "src")}
    assert set(datasets) == {"crm.db#customers", f"crm.db#{EVIL}", "crm.db#x"}
    customers = datasets["crm.db#customers"]
    assert customers.format == "table" and customers.rows == 2 and customers.comments == {}
    assert rows_of(customers) == [
        {"id": "1", "name": "张三", "id_card": ID_X, "photo": "01ff", "balance": "1.5"},
        {"id": "2", "name": None, "id_card": "0123", "photo": None, "balance": None},
    ]
    assert rows_of(datasets[f"crm.db#{EVIL}"]) == [{'we"ird col': "ok"}]
    assert rows_of(datasets["crm.db#x"]) == [{"v": "still here"}]
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before


def test_sqlite_url_ids_and_missing_file(tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    make_db(db)
    datasets = open_database_url(f"sqlite:///{db}", "the-url")
    assert sorted(d.id for d in datasets) == sorted(["customers", EVIL, "x"])
    assert all(d.source == "the-url" for d in datasets)
    missing = tmp_path / "nope.db"
    with pytest.raises(SourceError):
        open_database_url(f"sqlite:///{missing}", "u")
    assert not missing.exists()


def test_bad_urls_are_source_errors() -> None:
    with pytest.raises(SourceError) as info:
        open_database_url("nosuchdialect://user:hunter2@host/db", "u")
    assert "hunter2" not in str(info.value)
    with pytest.raises(SourceError) as info:
        open_database_url("postgresql://user:hunter2@host:notaport/db", "u")
    assert "hunter2" not in str(info.value)
    assert (
        mask_url("postgresql+psycopg://bob:hunter2@db.example/crm")
        == "postgresql+psycopg://bob:***@db.example/crm"
    )


def test_failing_table_fails_only_itself(tmp_path: Path) -> None:
    db = tmp_path / "two.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE good (a TEXT)")
    conn.execute("INSERT INTO good VALUES ('1')")
    conn.execute("CREATE VIEW some_view AS SELECT 1 AS one")
    conn.commit()
    conn.close()
    datasets = open_database_file("sqlite", db, "two.db", "src")
    good = only(datasets)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE good")
    conn.commit()
    conn.close()
    with pytest.raises(SourceError) as info:
        list(good.batches())
    assert "no such table" in str(info.value)


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    f = tmp_path / "Thumbs.db"
    f.write_bytes(b"\xd0\xcf\x11\xe0 not sqlite at all" * 10)
    with pytest.raises(SourceError):
        open_database_file("sqlite", f, "Thumbs.db", "src")


# --------------------------------------------------------------------------- discovery


def make_tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.csv").write_text("x,y\n1,2\n")
    (root / "sub" / "b.jsonl").write_text('{"k": "v"}\n')
    (root / "sub" / "deeper" / "c.TSV").write_text("p\tq\n1\t2\n")
    (root / "sub" / "notes.md").write_text("# unknown extension\n")
    (root / ".hidden.csv").write_text("h\n1\n")
    (root / ".git" / "config.txt").write_text("secret\n")
    make_db(root / "sub" / "crm.db")


def test_directory_crawl(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    make_tree(root)
    datasets, errors = resolve_sources([str(root)])
    assert errors == []
    assert [d.id for d in datasets] == [
        "a.csv",
        "sub/b.jsonl",
        f"sub/crm.db#{EVIL}",
        "sub/crm.db#customers",
        "sub/crm.db#x",
        "sub/deeper/c.TSV",
    ]
    assert {d.id: d.format for d in datasets}["sub/deeper/c.TSV"] == "tsv"
    assert all(d.source == str(root) for d in datasets)
    assert {d.id: d.location for d in datasets}["a.csv"] == str(root / "a.csv")


def test_crawl_order_is_sorted(tmp_path: Path) -> None:
    for name in ["b.csv", "a.csv", "c.csv"]:
        (tmp_path / name).write_text("x\n1\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "z.csv").write_text("x\n1\n")
    datasets, _ = resolve_sources([str(tmp_path)])
    assert [d.id for d in datasets] == ["a.csv", "b.csv", "c.csv", "a/z.csv"]


def test_file_and_glob_sources(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    make_tree(root)
    datasets, errors = resolve_sources([str(root / "sub" / "b.jsonl")])
    assert errors == [] and [d.id for d in datasets] == ["b.jsonl"]

    datasets, errors = resolve_sources([str(root / "**" / "*.csv")])
    assert errors == []
    assert [d.id for d in datasets] == ["a.csv"]  # hidden .hidden.csv not matched

    datasets, errors = resolve_sources([str(root / "sub" / "*")])
    assert errors == []
    ids = {d.id for d in datasets}
    assert {"b.jsonl", "deeper/c.TSV", "crm.db#customers"} <= ids
    assert not any("notes" in i for i in ids)


def test_errors_are_pairs(tmp_path: Path) -> None:
    unknown = tmp_path / "notes.md"
    unknown.write_text("hi\n")
    garbage = tmp_path / "dir" / "bad.parquet"
    garbage.parent.mkdir()
    garbage.write_bytes(b"not parquet")
    (tmp_path / "dir" / "ok.csv").write_text("a\n1\n")
    sources = [str(unknown), str(tmp_path / "missing.csv"), str(tmp_path / "dir"), str(tmp_path / "zzz*.csv")]
    datasets, errors = resolve_sources(sources)
    assert [d.id for d in datasets] == ["ok.csv"]
    assert errors[0] == (str(unknown), "unsupported file type")
    assert errors[1][0] == str(tmp_path / "missing.csv")
    assert errors[2][0] == str(garbage) and "Parquet" in errors[2][1]
    assert errors[3] == (str(tmp_path / "zzz*.csv"), "no files match")
    assert len(errors) == 4


def test_url_source_discovery_error_is_pair(tmp_path: Path) -> None:
    db = tmp_path / "ok.db"
    make_db(db)
    url = f"sqlite:///{db}"
    datasets, errors = resolve_sources([url, f"sqlite:///{tmp_path / 'gone.db'}"])
    assert {d.id for d in datasets} == {"customers", EVIL, "x"}
    assert all(d.source == url for d in datasets)
    assert len(errors) == 1 and errors[0][0].endswith("gone.db")


def test_missing_sources(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    sources = [
        str(tmp_path / "a.csv"),
        str(tmp_path),
        str(tmp_path / "*.csv"),
        str(tmp_path / "*.parquet"),
        str(tmp_path / "nope.csv"),
        "postgresql+psycopg://u@h/db",
    ]
    assert missing_sources(sources) == [str(tmp_path / "*.parquet"), str(tmp_path / "nope.csv")]


def test_sqlite_engine_refuses_writes(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from scanner.connectors.sql.sqlite import read_only_engine as _sqlite_engine

    db = tmp_path / "ro.db"
    make_db(db)
    engine = _sqlite_engine(db)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
            conn.execute(sa.text("DELETE FROM x"))
    finally:
        engine.dispose()
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM x").fetchone() == (1,)


def test_url_password_never_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets, errors = resolve_sources(["nosuchdialect://bob:hunter2@host/db"])
    assert datasets == [] and len(errors) == 1
    assert "hunter2" not in repr(errors) and "bob" in errors[0][0]

    db = tmp_path / "env.db"
    make_db(db)
    monkeypatch.setenv("PIIWARDEN_TEST_DB", str(db))
    datasets, errors = resolve_sources(["sqlite:///${PIIWARDEN_TEST_DB}"])
    assert errors == [] and {d.id for d in datasets} == {"customers", EVIL, "x"}


def test_column_projection_reads_only_the_named_columns(tmp_path):
    """The policy's exact counts stream one column: Parquet and CSV read only that one."""
    import pyarrow.parquet as pq

    from scanner.connectors.csvfile import open_csv
    from scanner.connectors.parquetfile import open_parquet

    table = pa.table({"id": ["1", "2", "3"], "name": ["a", "b", "c"], "note": ["x", "y", "z"]})
    pq.write_table(table, tmp_path / "t.parquet")
    (tmp_path / "t.csv").write_text("id,name,note\n1,a,x\n2,b,y\n3,c,z\n", encoding="utf-8")
    for ds in (open_parquet(tmp_path / "t.parquet", "t", "t")[0], open_csv(tmp_path / "t.csv", "c", "c")[0]):
        batches = list(ds.column_batches(["name"]))
        assert {tuple(b.schema.names) for b in batches} == {("name",)}
        assert sum(b.num_rows for b in batches) == 3
        assert pa.Table.from_batches(batches).column("name").to_pylist() == ["a", "b", "c"]
        whole = list(ds.column_batches(["missing"]))  # no such column: every column, rows still counted
        assert sum(b.num_rows for b in whole) == 3

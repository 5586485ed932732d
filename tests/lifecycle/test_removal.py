"""The row-removal layer (scanner/lifecycle/removal.py) on files and SQLite/DuckDB: what goes, what stays byte for byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from unittest import mock

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.anonymize.keys import parse_key
from scanner.connectors.base import Dataset
from scanner.lifecycle import removal
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.lifecycle.removal import (
    Archive,
    CountChanged,
    RemovalOptions,
    RemovalProblem,
    SqlSelection,
    read_archive,
    remove_file_rows,
    remove_table_rows,
    row_key,
)
from scanner.sources import resolve_sources

KEY = parse_key(b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "test")
PLANTED = "13912345670"  # a mobile only the removed rows hold


def _dataset(source: str | Path, ds_id: str | None = None) -> Dataset:
    datasets, failed = resolve_sources([str(source)])
    assert not failed, failed
    return next(d for d in datasets if ds_id is None or d.id == ds_id)


def _old(batch: pa.RecordBatch) -> pa.Array:
    """Rows whose 'year' column is before 2020 (a stand-in for the retention predicate)."""
    return pc.less(batch.column("year"), "2020")


def _csv(tmp_path: Path) -> tuple[Path, list[bytes]]:
    lines = [b"\xef\xbb\xbfname,mobile,year\r\n", b'"Wang, A","13812345678",2019\r\n', b"\r\n",
             b'"Li ""B""",13912345670,2018\r\n', b'Zhang,"138\r\n12345679",2024\r\n', b"Zhao,13812345680,2025"]
    path = tmp_path / "people.csv"
    path.write_bytes(b"".join(lines))
    return path, lines


def test_csv_keeps_every_other_record_byte_for_byte(tmp_path):
    path, lines = _csv(tmp_path)
    path.chmod(0o640)
    options = RemovalOptions(identifiers={"mobile": "CN_MOBILE_PHONE"}, hasher=SubjectHasher(KEY),
                             archive=Archive(tmp_path / "archive", KEY))
    result = remove_file_rows(_dataset(path), _old, 2, options)
    assert path.read_bytes() == lines[0] + lines[2] + lines[4] + lines[5]  # BOM, CRLF, quoting, blank line kept
    assert path.stat().st_mode & 0o777 == 0o640
    assert result.rows == 2 and result.method == "archive+delete"
    assert len(result.subject_hashes) == 2 and result.key_fingerprint == KEY.fingerprint
    assert SubjectHasher(KEY).hex_digests("CN_MOBILE_PHONE", pa.array([PLANTED]))[0] in result.subject_hashes
    header, rows = read_archive(result.archive, KEY)
    assert header["rows"] == 2 and sorted(rows.column("year").to_pylist()) == ["2018", "2019"]
    assert PLANTED.encode() not in result.archive.read_bytes()  # sealed, not plain
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_count_changed_leaves_the_file_and_writes_no_archive(tmp_path):
    path, lines = _csv(tmp_path)
    with pytest.raises(CountChanged):
        remove_file_rows(_dataset(path), _old, 3, RemovalOptions(archive=Archive(tmp_path / "archive", KEY)))
    assert path.read_bytes() == b"".join(lines)
    assert not list((tmp_path / "archive").glob("*")) if (tmp_path / "archive").exists() else True


def test_archive_refuses_another_key(tmp_path):
    path, _lines = _csv(tmp_path)
    result = remove_file_rows(_dataset(path), _old, 2, RemovalOptions(archive=Archive(tmp_path / "a", KEY)))
    other = parse_key(b"another key of at least sixteen bytes", "other")
    with pytest.raises(RemovalProblem):
        read_archive(result.archive, other)


def test_jsonl_and_parquet(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    raw = ['{"name": "A", "year": "2019"}\n', "\n", '{"year": "2024",  "name": "B"}\n', '{"name":"C","year":"2010"}\n']
    jsonl.write_text("".join(raw), encoding="utf-8")
    assert remove_file_rows(_dataset(jsonl), _old, 2).rows == 2
    assert jsonl.read_text(encoding="utf-8") == raw[1] + raw[2]

    table = pa.table({"name": ["A", "B", "C", "D"], "year": ["2019", "2024", "2010", "2025"],
                      "n": pa.array([1, 2, 3, 4], pa.int16())}).replace_schema_metadata({b"owner": b"crm"})
    parquet = tmp_path / "p.parquet"
    pq.write_table(table, parquet, compression="zstd", row_group_size=2)
    assert remove_file_rows(_dataset(parquet), _old, 2).rows == 2
    after = pq.read_table(parquet)
    assert after.to_pylist() == [table.to_pylist()[1], table.to_pylist()[3]]
    assert after.schema == table.schema and after.schema.metadata == table.schema.metadata
    assert pq.ParquetFile(parquet).metadata.row_group(0).column(0).compression.lower() == "zstd"


def test_json_array_keeps_its_style_and_the_kept_elements(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[\n    {"name": "王", "year": "2019", "tags": {"a": [1, 2.5]}},\n'
                    '    {"year": "2024", "name": "李", "tags": {"a": []}}\n]\n', encoding="utf-8")
    assert remove_file_rows(_dataset(path), _old, 1).rows == 1
    assert path.read_text(encoding="utf-8") == \
        '[\n    {\n        "year": "2024",\n        "name": "李",\n        "tags": {\n            "a": []\n        }\n    }\n]\n'


def test_unsupported_shapes_are_refused(tmp_path):
    single = tmp_path / "one.json"
    single.write_text('{"year": "2019"}', encoding="utf-8")
    with pytest.raises(RemovalProblem, match="one object"):
        remove_file_rows(_dataset(single), _old, 1)
    assert single.read_text(encoding="utf-8") == '{"year": "2019"}'
    repeated = tmp_path / "dup.json"
    repeated.write_text('[{"year": "2019", "year": "2024"}, {"year": "2010"}]', encoding="utf-8")
    with pytest.raises(RemovalProblem, match="repeats keys"):
        remove_file_rows(_dataset(repeated), lambda b: pc.less(b.column("year"), "2015"), 1)
    assert "2019" in repeated.read_text(encoding="utf-8")


def test_gb18030_csv_with_quoted_line_breaks(tmp_path):
    path = tmp_path / "gbk.csv"
    text = '姓名,地址,year\r\n王伟,"北京市\r\n朝阳区",2019\r\n李娜,"上海市 ""浦东""",2024\r\n'
    path.write_bytes(text.encode("gb18030"))
    assert remove_file_rows(_dataset(path), _old, 1).rows == 1
    assert path.read_bytes() == '姓名,地址,year\r\n李娜,"上海市 ""浦东""",2024\r\n'.encode("gb18030")


def test_sqlite_removed_values_do_not_survive_in_the_file(tmp_path):
    path = tmp_path / "crm.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE people (mobile TEXT, year TEXT)")  # no primary key: rowid names rows
    db.executemany("INSERT INTO people VALUES (?, ?)",
                   [(PLANTED, "2019"), ("13812345678", "2024")] + [(f"1370000{i:04d}", "2025") for i in range(300)])
    db.commit()
    db.close()
    dataset = _dataset(f"sqlite:///{path}")
    expression, name = row_key(dataset.sql)
    assert name == "rowid"
    options = RemovalOptions(identifiers={"mobile": "CN_MOBILE_PHONE"}, hasher=SubjectHasher(KEY))
    with pytest.raises(CountChanged):
        remove_table_rows(dataset, SqlSelection.values_in(expression, [1, 2]), 1, options)
    assert PLANTED.encode() in path.read_bytes()
    result = remove_table_rows(dataset, SqlSelection.where(sa.column("year") < "2020"), 1, options)
    assert result.rows == 1 and len(result.subject_hashes) == 1
    assert PLANTED.encode() not in path.read_bytes()
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 301
    db.close()


def test_duckdb_file_is_rebuilt(tmp_path):
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE people (mobile VARCHAR, year VARCHAR)")
    con.execute("INSERT INTO people VALUES (?, '2019')", [PLANTED])
    con.execute("INSERT INTO people SELECT '1370000' || lpad(i::VARCHAR, 4, '0'), '2025' FROM range(3000) t(i)")
    con.close()
    dataset = _dataset(f"duckdb:///{path}", "main.people")
    result = remove_table_rows(dataset, SqlSelection.where(sa.column("year") < "2020"), 1)
    assert result.rows == 1
    assert PLANTED.encode() not in path.read_bytes()
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM people").fetchone()[0] == 3000
    con.close()


_CELL = st.text(alphabet=st.sampled_from(list('ab,"\n\r 王x1')), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_CELL, st.booleans()), min_size=1, max_size=12),
       newline=st.sampled_from(["\n", "\r\n"]), blank_after=st.sets(st.integers(0, 11)),
       block=st.sampled_from([5, 64, removal.READ_BYTES]))
def test_csv_records_survive_byte_for_byte_whatever_their_quoting(tmp_path_factory, cells, newline, blank_after,
                                                                   block):
    """Any quoted value (commas, quotes, line breaks inside): the kept records are the original bytes, in order.

    Blank lines are no rows (the reader skips them) and stay where they were.
    """
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    header = f"v,year{newline}".encode()
    chunks: list[tuple[bytes, bool]] = []  # (bytes, removed)
    for i, (value, drop) in enumerate(cells):
        quoted = '"' + value.replace('"', '""') + '"'
        chunks.append((f"{quoted},{'2010' if drop else '2024'}{newline}".encode(), drop))
        if i in blank_after:
            chunks.append((newline.encode(), False))
    path.write_bytes(header + b"".join(c for c, _ in chunks))
    dropped = sum(1 for _, d in chunks if d)
    with mock.patch.object(removal, "READ_BYTES", block):  # records split across blocks too
        result = remove_file_rows(_dataset(path), lambda b: pc.less(b.column("year"), "2020"), dropped)
    assert result.rows == dropped
    if dropped:
        assert path.read_bytes() == header + b"".join(c for c, d in chunks if not d)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.sampled_from(["", " ", "\t", "\r"]), st.booleans(), st.booleans()),
                      min_size=1, max_size=10),
       block=st.sampled_from([3, 50, removal.READ_BYTES]))
def test_jsonl_lines_kept_byte_for_byte(tmp_path_factory, lines, block):
    """JSON Lines: whitespace-only lines are no rows and stay; every kept line is its original bytes."""
    path = tmp_path_factory.mktemp("jsonl") / "x.jsonl"
    chunks: list[tuple[bytes, bool]] = []
    for pad, drop, blank_too in lines:
        chunks.append((f'{pad}{{"year": "{2010 if drop else 2024}", "n": "王"}}{pad}\n'.encode(), drop))
        if blank_too:
            chunks.append((f"{pad}\n".encode(), False))
    path.write_bytes(b"".join(c for c, _ in chunks))
    dropped = sum(1 for _, d in chunks if d)
    with mock.patch.object(removal, "READ_BYTES", block):
        assert remove_file_rows(_dataset(path), _old, dropped).rows == dropped
    if dropped:
        assert path.read_bytes() == b"".join(c for c, d in chunks if not d)


def test_a_failed_vacuum_after_the_commit_is_reported_not_rolled_back(tmp_path, monkeypatch):
    path = tmp_path / "crm.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE people (mobile TEXT, year TEXT)")
    db.executemany("INSERT INTO people VALUES (?, ?)", [(PLANTED, "2019"), ("13812345678", "2024")])
    db.commit()
    db.close()

    def fail(self, engine, table):
        raise sqlite3.OperationalError(f"database is locked near {PLANTED}")

    monkeypatch.setattr(type(_dataset(f"sqlite:///{path}").sql.backend), "finish_removal", fail)
    result = remove_table_rows(_dataset(f"sqlite:///{path}"), SqlSelection.where(sa.column("year") < "2020"), 1)
    assert result.rows == 1 and result.problem and "could not be compacted" in result.problem
    assert PLANTED not in result.problem
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 1
    db.close()


def _workbook(path: Path, formula: bool = False) -> None:
    """Two sheets: people (header in row 2 under an empty row, a styled cell, an empty row) and a notes sheet."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    people = book.active
    people.title = "people"
    people["C1"].font = Font(italic=True)  # a formatted, empty row 1: the header is the first row with a value
    people.append(["name", "mobile", "year"])
    people.append(["Wang", "13812345678", "2019"])
    people.append(["Li", PLANTED, "2018"])
    people.append([None, None, None])
    people.append(["Zhang", "13812345679", "2024"])
    people.append(["Zhao", "13812345680", "2025"])
    people["A6"].font = Font(bold=True, color="FF0000")
    people.column_dimensions["B"].width = 31
    notes = book.create_sheet("notes")
    notes.append(["note"])
    notes.append(["=people!B3" if formula else "keep me"])
    book.save(path)


def test_xlsx_sheet_loses_the_marked_rows_and_nothing_else(tmp_path):
    import openpyxl

    path = tmp_path / "crm.xlsx"
    _workbook(path)
    ds = _dataset(path, "crm.xlsx#people")
    result = remove_file_rows(ds, _old, 2, RemovalOptions(identifiers={"mobile": "CN_MOBILE_PHONE"},
                                                          hasher=SubjectHasher(KEY)))
    assert result.rows == 2
    book = openpyxl.load_workbook(path)
    people = [list(r) for r in book["people"].iter_rows(values_only=True)]
    assert people == [[None, None, None], ["name", "mobile", "year"], [None, None, None],
                      ["Zhang", "13812345679", "2024"], ["Zhao", "13812345680", "2025"]]
    assert book["people"]["A4"].font.bold and book["people"]["A4"].font.color.rgb.endswith("FF0000")  # moved up
    assert book["people"].column_dimensions["B"].width == 31
    assert [list(r) for r in book["notes"].iter_rows(values_only=True)] == [["note"], ["keep me"]]
    assert PLANTED not in str(people)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_xlsx_with_a_formula_is_refused_untouched(tmp_path):
    path = tmp_path / "crm.xlsx"
    _workbook(path, formula=True)
    before = path.read_bytes()
    with pytest.raises(RemovalProblem, match="formula"):
        remove_file_rows(_dataset(path, "crm.xlsx#people"), _old, 2)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_xlsx_with_a_picture_is_refused_untouched(tmp_path):
    import zipfile

    path = tmp_path / "crm.xlsx"
    _workbook(path)
    with zipfile.ZipFile(path, "a") as archive:  # what a drawing part looks like to the check
        archive.writestr("xl/drawings/drawing1.xml", "<xdr:wsDr/>")
    before = path.read_bytes()
    with pytest.raises(RemovalProblem, match="pictures|drawings"):
        remove_file_rows(_dataset(path, "crm.xlsx#people"), _old, 2)
    assert path.read_bytes() == before

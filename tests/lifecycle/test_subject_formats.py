"""subject find/erase beyond the main estate: JSON and JSON Lines, a DuckDB file, a MariaDB table.

Each format's other rows must come out as they went in (files byte for
byte where the format allows), and the person must no longer be found.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from scanner.cli import app
from tests.dbservers import throwaway_database
from tests.lifecycle.subject_estate import KEY_HEX, PLANTED, mobile

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log"), "PIIWARDEN_KEY": KEY_HEX}


def _clean(text: str) -> None:
    for value in PLANTED:
        assert value not in text


def _find(source: str, tmp_path: Path) -> dict:
    found = runner.invoke(app, ["subject", "find", source, "--mobile", "138-1234-5678", "--json"], env=_env(tmp_path))
    assert found.exit_code == 0, found.output
    _clean(found.output)
    return {d["dataset"]: d["rows"] for d in json.loads(found.stdout)["datasets"]}


def _erase(source: str, tmp_path: Path, mode: str) -> None:
    done = runner.invoke(app, ["subject", "erase", source, "--mobile", "138-1234-5678", "--mode", mode, "--apply"],
                         env=_env(tmp_path))
    assert done.exit_code == 0, done.output
    _clean(done.output)


def test_json_and_jsonl_anonymize_in_place_touches_only_the_persons_records(tmp_path):
    rng = random.Random(8)
    root = tmp_path / "data"
    root.mkdir()
    lines = [json.dumps({"id": i, "user": {"mobile": "138 1234 5678" if i in (5, 30) else mobile(rng), "city": "北京"}},
                        ensure_ascii=False, separators=(", ", ": ")) for i in range(50)]
    (root / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = [{"id": i, "phone": "13812345678" if i == 7 else mobile(rng)} for i in range(40)]
    (root / "people.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    before = {p.name: p.read_text(encoding="utf-8").splitlines() for p in root.iterdir()}

    assert _find(str(root), tmp_path) == {"events.jsonl": 2, "people.json": 1}
    _erase(str(root), tmp_path, "anonymize")
    after = {p.name: p.read_text(encoding="utf-8").splitlines() for p in root.iterdir()}
    for name in before:
        diff = [i for i, (a, b) in enumerate(zip(before[name], after[name])) if a != b]
        assert len(before[name]) == len(after[name])
        assert diff == ([5, 30] if name == "events.jsonl" else [1 + 4 * 7 + 2]), name  # only the person's lines
    assert _find(str(root), tmp_path) == {}


def test_duckdb_file_delete(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    rng = random.Random(9)
    root = tmp_path / "wh"
    root.mkdir()
    path = root / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE users (uid INTEGER PRIMARY KEY, 手机号 VARCHAR, tier VARCHAR)")
    rows = [(i, "+86 13812345678" if i in (3, 17) else mobile(rng), rng.choice("ab")) for i in range(40)]
    con.executemany("INSERT INTO users VALUES (?, ?, ?)", rows)
    con.close()

    assert _find(str(root), tmp_path) == {"wh.duckdb#users": 2}
    _erase(str(root), tmp_path, "delete")
    con = duckdb.connect(str(path), read_only=True)
    left = con.execute("SELECT uid, 手机号, tier FROM users ORDER BY uid").fetchall()
    con.close()
    assert left == [r for r in rows if r[0] not in (3, 17)]


@pytest.fixture
def maria() -> Iterator[str]:
    with throwaway_database("MariaDB", "subject") as url:
        yield url


def test_mariadb_table_find_and_anonymize(tmp_path, maria):
    rng = random.Random(10)
    engine = sa.create_engine(maria, poolclass=sa.pool.NullPool)
    rows = [{"id": i, "mobile": "138-1234-5678" if i in (2, 44) else mobile(rng), "note": f"n{i}"} for i in range(60)]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE contacts (id INT PRIMARY KEY, mobile VARCHAR(32) COMMENT '手机号', "
                             "note VARCHAR(16))")
        conn.execute(sa.text("INSERT INTO contacts VALUES (:id, :mobile, :note)"), rows)

    database = maria.rsplit("/", 1)[1].split("?")[0]
    assert _find(maria, tmp_path) == {f"{database}.contacts": 2}
    _erase(maria, tmp_path, "anonymize")
    with engine.connect() as conn:
        after = [dict(r._mapping) for r in conn.exec_driver_sql("SELECT id, mobile, note FROM contacts ORDER BY id")]
    engine.dispose()
    assert [r for r in after if r["id"] not in (2, 44)] == [r for r in rows if r["id"] not in (2, 44)]
    for r in after:
        if r["id"] in (2, 44):
            assert r["mobile"] != "138-1234-5678" and r["note"] == f"n{r['id']}"
    assert _find(maria, tmp_path) == {}


def test_free_text_column_find_index_and_anonymize(tmp_path):
    """A remarks column mentioning the person: found by span, indexed alike, rewritten span by span."""
    from tests.lifecycle.subject_estate import name

    rng = random.Random(4)
    root = tmp_path / "data"
    root.mkdir()
    lines = ["工单号,备注"]
    for i in range(60):
        phone = "138-1234-5678" if i in (6, 44) else mobile(rng)
        lines.append(f"T{i:04d},客户{name(rng)}来电 {phone} 要求退订")
    (root / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = (root / "tickets.csv").read_bytes().splitlines(keepends=True)

    assert _find(str(root), tmp_path) == {"tickets.csv": 2}
    scanned = runner.invoke(app, ["scan", str(root), "-o", str(tmp_path / "out"), "--index", "--no-history"],
                            env=_env(tmp_path))
    assert scanned.exit_code == 0, scanned.output
    looked = runner.invoke(app, ["subject", "find", str(root), "--mobile", "13812345678", "--index",
                                 str(tmp_path / "out" / "index"), "--json"], env=_env(tmp_path))
    assert {d["dataset"]: d["rows"] for d in json.loads(looked.stdout)["datasets"]} == {"tickets.csv": 2}

    _erase(str(root), tmp_path, "anonymize")
    after = (root / "tickets.csv").read_bytes().splitlines(keepends=True)
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [7, 45]  # header + rows 6 and 44
    assert all(b"\xe8\xa6\x81\xe6\xb1\x82\xe9\x80\x80\xe8\xae\xa2" in after[i] for i in (7, 45))  # the text around stays
    assert _find(str(root), tmp_path) == {}

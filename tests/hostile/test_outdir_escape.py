"""Nothing anonymize writes lands outside OUTDIR, whatever the data names its tables, and OUTDIR is not a source's folder.

Issue 14, item 1: a SQLite (or PostgreSQL/MySQL) table named ``../esc1`` made
``anonymize`` write ``../esc1.parquet`` next to OUTDIR. Every path built from
data goes through ``scanner.safepath``: property-tested here for any string,
then end to end through the CLI with hostile table names, a symlink planted
in OUTDIR, and an OUTDIR that is a source file's folder.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.dbservers import throwaway_database
from tests.hostile.harness import assert_error_line, assert_no_traceback, assert_only_inside, invoke, snapshot

HOSTILE_NAMES = ["../esc1", "../../esc2", "..", ".", "/tmp/abs3", "a\\..\\..\\esc4", "C:\\esc5", "C:esc6",
                 "x/../../esc7", "n" * 300, "%2E%2E", "sub/../../esc8"]
MOBILES = [f"139{i:08d}" for i in range(1000, 1030)]
SPECIAL = st.sampled_from(["..", ".", "", "/", "\\", "\x00", ":", "C:", "%", "~", "\n", "../", "/..", "\\..\\"])
NAMES = st.one_of(st.text(min_size=0, max_size=60),
                  st.lists(st.one_of(SPECIAL, st.text(max_size=8)), max_size=8).map("".join),
                  st.text(alphabet="ab./\\", min_size=1, max_size=12), st.text(min_size=250, max_size=400))


def _under(root: Path, path: Path) -> bool:
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real == top or top in real.parents


@settings(settings.get_profile("hostile"))
@given(NAMES)
def test_any_relative_path_stays_inside_outdir(tmp_path_factory, name):
    from scanner.safepath import MAX_COMPONENT_BYTES, inside

    root = tmp_path_factory.getbasetemp() / "safepath_root"
    root.mkdir(exist_ok=True)
    path = inside(root, name, suffix=".parquet")
    assert _under(root, path) and path != root
    assert "\x00" not in str(path)
    rel = path.relative_to(root)
    assert all(part not in ("", ".", "..") and "\\" not in part and ":" not in part
               and len(part.encode("utf-8")) <= MAX_COMPONENT_BYTES + len(".parquet") for part in rel.parts)


@settings(settings.get_profile("hostile"))
@given(NAMES, NAMES)
def test_distinct_names_give_distinct_paths(a, b):
    from scanner.safepath import safe_name, safe_relpath

    if a != b:
        assert safe_name(a) != safe_name(b)
        assert safe_relpath(a) != safe_relpath(b)


@settings(settings.get_profile("hostile"))
@given(NAMES)
def test_a_table_name_is_one_file_name(name):
    from scanner.safepath import safe_name

    out = safe_name(name)
    assert "/" not in out and out not in ("", ".", "..")
    assert len(out.encode("utf-8")) <= 255 - len(".parquet")


def test_harmless_names_keep_their_spelling():
    from scanner.safepath import safe_name, safe_relpath

    assert safe_relpath("orders/2024/客户.csv").as_posix() == "orders/2024/客户.csv"
    assert safe_name("public.customers") == "public.customers"


def _sqlite_with_tables(path: Path, names: list[str]) -> None:
    conn = sqlite3.connect(path)
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        conn.execute(f"CREATE TABLE {quoted} (mobile TEXT, note TEXT)")
        conn.executemany(f"INSERT INTO {quoted} VALUES (?, ?)", [(m, "ok") for m in MOBILES])
    conn.commit()
    conn.close()


def _assert_outputs_inside(sandbox: Path, before: dict, out_rel: str) -> None:
    """Only OUTDIR and the audit folder beside it changed (their parent's own mtime aside)."""
    parent = out_rel.rpartition("/")[0]
    after = snapshot(sandbox)
    if parent in before:
        after[parent] = before[parent]
    assert_only_inside(before, after, [out_rel, f"{parent}/.piiwarden" if parent else ".piiwarden"])


def test_sqlite_table_names_cannot_leave_outdir(tmp_path):
    sandbox = tmp_path / "box"
    work = sandbox / "a" / "b"
    work.mkdir(parents=True)
    db = work / "trav.db"
    _sqlite_with_tables(db, HOSTILE_NAMES)
    before = snapshot(sandbox)
    out = work / "out"
    run = invoke(["anonymize", f"sqlite:///{db}", "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 0, run.console
    _assert_outputs_inside(sandbox, before, "a/b/out")
    assert not Path("/tmp/abs3.parquet").exists() or Path("/tmp/abs3.parquet").stat().st_mtime < db.stat().st_mtime
    parquet = sorted(p for p in out.rglob("*.parquet"))
    assert len(parquet) == len(HOSTILE_NAMES)
    verified = invoke(["verify", str(out)])
    assert verified.code == 0, verified.console


def test_a_symlink_planted_in_outdir_does_not_lead_out(tmp_path):
    sandbox = tmp_path / "box"
    src = sandbox / "src"
    (src / "link").mkdir(parents=True)
    (src / "link" / "phones.csv").write_text("mobile\n" + "\n".join(MOBILES) + "\n", encoding="utf-8")
    (src / "ok.csv").write_text("mobile\n" + "\n".join(MOBILES) + "\n", encoding="utf-8")
    outside = sandbox / "elsewhere"
    outside.mkdir()
    out = sandbox / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    before = snapshot(sandbox)
    run = invoke(["anonymize", str(src), "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 3, run.console
    assert_error_line(run, "link/phones.csv")
    assert list(outside.iterdir()) == []
    assert (out / "ok.csv").is_file()
    _assert_outputs_inside(sandbox, before, "out")


def test_postgresql_table_names_cannot_leave_outdir(tmp_path):
    with throwaway_database("PostgreSQL", "pw_esc") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE SCHEMA "../.."')
            for table in ('public."../esc1"', '"../.."."esc2"', 'public."/tmp/abs3"'):
                conn.exec_driver_sql(f"CREATE TABLE {table} (mobile text)")
                conn.execute(sa.text(f"INSERT INTO {table} VALUES (:m)"), [{"m": m} for m in MOBILES])
        engine.dispose()
        _anonymize_url_in_sandbox(tmp_path, url, tables=3)


def _anonymize_url_in_sandbox(tmp_path: Path, url: str, tables: int) -> None:
    """anonymize a database URL from two folders deep: every table's file lands inside OUTDIR, nothing else moves."""
    sandbox = tmp_path / "box"
    work = sandbox / "a" / "b"
    work.mkdir(parents=True)
    before = snapshot(sandbox)
    out = work / "out"
    run = invoke(["anonymize", url, "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 0, run.console
    _assert_outputs_inside(sandbox, before, "a/b/out")
    assert len(list(out.rglob("*.parquet"))) == tables


def test_mysql_table_names_cannot_leave_outdir(tmp_path):
    with throwaway_database("MariaDB", "pw_esc") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for table in ("`../esc1`", "`../../esc2`"):
                conn.exec_driver_sql(f"CREATE TABLE {table} (mobile VARCHAR(20))")
                conn.execute(sa.text(f"INSERT INTO {table} VALUES (:m)"), [{"m": m} for m in MOBILES])
        engine.dispose()
        _anonymize_url_in_sandbox(tmp_path, url, tables=2)


def test_outdir_equal_to_a_source_files_folder_is_refused(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "phones.csv").write_text("mobile\n" + "\n".join(MOBILES) + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    for outdir in (src, src / "."):
        run = invoke(["anonymize", str(src / "phones.csv"), "-o", str(outdir)])
        assert_no_traceback(run)
        assert run.code == 2, run.console
        assert len(run.error_lines()) == 1 and "OUTDIR" in run.stderr
    glob_run = invoke(["anonymize", str(src / "*.csv"), "-o", str(src)])
    assert glob_run.code == 2, glob_run.console
    assert snapshot(tmp_path) == before


def test_outdir_above_a_source_dir_that_would_overwrite_it_is_refused(tmp_path):
    top = tmp_path / "top"
    (top / "in" / "in").mkdir(parents=True)
    (top / "in" / "in" / "phones.csv").write_text("mobile\n" + "\n".join(MOBILES) + "\n", encoding="utf-8")
    (top / "in" / "phones.csv").write_text("mobile\n" + "\n".join(MOBILES) + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    run = invoke(["anonymize", str(top / "in"), "-o", str(top)])
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert snapshot(tmp_path) == before


def test_a_database_file_met_while_crawling_keeps_hostile_tables_inside_its_copy(tmp_path):
    sandbox = tmp_path / "box"
    src = sandbox / "src" / "warehouse"
    src.mkdir(parents=True)
    _sqlite_with_tables(src / "crm.db", HOSTILE_NAMES[:6])
    before = snapshot(sandbox)
    out = sandbox / "out"
    run = invoke(["anonymize", str(sandbox / "src"), "-o", str(out)])
    assert_no_traceback(run)
    assert run.code == 0, run.console
    _assert_outputs_inside(sandbox, before, "out")
    copy = sqlite3.connect(out / "warehouse" / "crm.db")
    try:
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        mobiles = {r[0] for r in copy.execute('SELECT mobile FROM "../esc1"')}
    finally:
        copy.close()
    assert set(HOSTILE_NAMES[:6]) <= tables
    assert not mobiles & set(MOBILES)


def test_a_name_spelled_like_an_escaped_one_does_not_collide_with_it():
    from scanner.safepath import safe_name, safe_relpath

    escaped = safe_name("../esc1")
    assert safe_name(escaped) != escaped
    assert safe_relpath(escaped).as_posix() != safe_relpath("../esc1").as_posix()

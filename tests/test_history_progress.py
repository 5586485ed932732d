"""Operator output: bars on a terminal, plain lines otherwise, JSON lines for log shippers."""

from __future__ import annotations

import io
import json

from rich.console import Console

from scanner.progress import Reporter, choose_mode


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _reporter(mode: str) -> tuple[Reporter, io.StringIO]:
    buf = io.StringIO()
    return Reporter(mode, Console(file=buf, width=200, highlight=False)), buf


def _events(r: Reporter) -> None:
    r.start(2)
    r.dataset_started("crm/customers.csv")
    r.dataset_done("crm/customers.csv", 1200)
    r.dataset_done("orders.parquet", 900, reused_from="0123456789abcdef")
    r.error("/data/bad.csv", "cannot decode as utf-8 at byte 12")
    r.close()


def test_mode_choice():
    assert choose_mode("json", quiet=True, stream=Tty()) == "json"
    assert choose_mode("text", quiet=True, stream=Tty()) == "quiet"
    assert choose_mode("text", quiet=False, stream=Tty()) == "bars"
    assert choose_mode("text", quiet=False, stream=io.StringIO()) == "plain"


def test_json_lines_one_object_each():
    r, buf = _reporter("json")
    _events(r)
    records = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [x["event"] for x in records] == ["scan_started", "dataset_started", "dataset_done", "dataset_reused",
                                              "source_error"]
    assert records[2]["rows_scanned"] == 1200 and records[3]["reused_from"] == "0123456789abcdef"
    assert records[4]["level"] == "error" and all("time" in x for x in records)


def test_plain_and_quiet_lines():
    r, buf = _reporter("plain")
    _events(r)
    text = buf.getvalue()
    assert "scanning crm/customers.csv" in text and "scanned crm/customers.csv: 1,200 rows" in text
    assert "reused orders.parquet" in text and "error: /data/bad.csv" in text
    r, buf = _reporter("quiet")
    _events(r)
    assert buf.getvalue().strip().splitlines() == ["error: /data/bad.csv: cannot decode as utf-8 at byte 12"]


def test_bars_count_rows_and_datasets():
    r, buf = _reporter("bars")
    _events(r)
    assert r.rows == 1200  # reused datasets add no scanned rows
    assert "2/2" in buf.getvalue() and "error: /data/bad.csv" in buf.getvalue()

"""The harness's own checks must be able to fail, or every hostile test is hollow."""

from __future__ import annotations

import pytest

from tests.hostile.harness import Run, assert_no_raw, assert_no_traceback, assert_only_inside, snapshot


def test_traceback_is_caught():
    with pytest.raises(AssertionError):
        assert_no_traceback(Run(1, "", "Traceback (most recent call last):\n  File \"x\", line 1\n"))
    with pytest.raises(AssertionError):
        assert_no_traceback(Run(2, "", "╭─ Error ─╮\n│ no │\n╰───╯"))
    assert_no_traceback(Run(3, "ok", "piiwarden: error: a.csv: bad"))


def test_raw_value_found_in_any_encoding(tmp_path):
    raw = "张三丰110105194912310026"
    (tmp_path / "gbk.csv").write_bytes(raw.encode("gb18030"))
    with pytest.raises(AssertionError) as exc:
        assert_no_raw([raw], roots=[tmp_path])
    assert raw not in str(exc.value)
    (tmp_path / "gbk.csv").unlink()
    (tmp_path / "esc.json").write_text('{"v": "' + raw.encode("ascii", "backslashreplace").decode()
                                       .replace("\\x", "\\u00") + '"}')
    with pytest.raises(AssertionError):
        assert_no_raw([raw], roots=[tmp_path])
    with pytest.raises(AssertionError):
        assert_no_raw([raw], run=Run(0, raw, ""))


def test_outside_writes_are_caught(tmp_path):
    (tmp_path / "out").mkdir()
    before = snapshot(tmp_path)
    (tmp_path / "out" / "ok.csv").write_text("x")
    assert_only_inside(before, snapshot(tmp_path), ["out"])
    (tmp_path / "esc1.parquet").write_text("x")
    with pytest.raises(AssertionError):
        assert_only_inside(before, snapshot(tmp_path), ["out"])

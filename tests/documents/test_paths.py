"""Nested ids: one builder, one parser, exact round trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scanner.documents import DocPath, format_id, parse_id


def test_issue_example_round_trips() -> None:
    text = "mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1"
    path = parse_id(text)
    assert path == DocPath("mail/2025-03.zip", ("inbox/123.eml", "附件.xlsx"), "Sheet1")
    assert format_id(path) == text
    assert path.name == "附件.xlsx" and path.depth == 2 and path.document.table is None


def test_enter_and_table_build_the_id() -> None:
    path = DocPath("contracts/2024/张三-借款合同.docx").with_table("table1")
    assert str(path) == "contracts/2024/张三-借款合同.docx#table1"
    assert str(DocPath("a.zip").enter("b.tgz").enter("c.csv")) == "a.zip!/b.tgz!/c.csv"


def test_separators_inside_names_are_escaped() -> None:
    path = DocPath("C#/100%!/x.zip", ("a!/b#c.eml",), "Sheet#1!/")
    text = format_id(path)
    assert text == "C%23/100%25%21/x.zip!/a%21/b%23c.eml#Sheet%231%21/"
    assert parse_id(text) == path


names = st.text(alphabet=st.sampled_from(list("ab!/#%-.张")), min_size=1, max_size=8)


@given(names, st.lists(names, max_size=3), st.none() | names)
def test_every_path_round_trips(file: str, members: list[str], table: str | None) -> None:
    path = DocPath(file, tuple(members), table)
    assert parse_id(format_id(path)) == path

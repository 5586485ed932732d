"""The full-pass checks shared by the streaming and the database counts, described by their rule classes.

A counting rule says, in one place, how a date is judged, under which key
findings.json records its hits and how the report words a finished check;
these tests pin that the counting code, the model and the report all read
those answers from the rule and none keeps its own copy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from reports.html import render_html
from scanner.model import DatasetResult, PolicyCheck
from scanner.policy import rules
from scanner.policy.checks import Check, counting_rule, judge
from scanner.policy.rules import CountingRule

AS_OF = dt.date(2026, 3, 31)
CUTOFF = dt.date(2026, 1, 1)

RETENTION = {"rule": "retention", "column": "d", "max_age_days": 89, "cutoff": "2026-01-01", "status": "ok",
             "rows": 9, "over_limit": 4, "missing": 1, "unparseable": 2}
MINORS = {"rule": "minor_data", "column": "id", "entity": "CN_RESIDENT_ID", "minor_age": 14,
          "born_after": "2012-03-31", "status": "ok", "rows": 9, "minors": 3, "missing": 0, "unparseable": 0}


@pytest.mark.parametrize("data", [RETENTION, MINORS], ids=["retention", "minor_data"])
def test_a_policy_check_reads_back_to_the_same_json_key_for_key(data: dict[str, Any]) -> None:
    check = PolicyCheck.from_json(data)
    assert check.hits == data[check.hits_key]
    assert list(check.to_json().items()) == list(data.items())


def test_a_finished_check_records_its_hits_under_the_rules_key() -> None:
    check = Check("retention", "d", {"max_age_days": 89, "cutoff": "2026-01-01"}, CUTOFF, AS_OF, hits=4)
    minors = Check("minor_data", "id", {"minor_age": 14}, CUTOFF, AS_OF, entity="CN_RESIDENT_ID", hits=3)
    assert check.record().to_json()["over_limit"] == 4 and "minors" not in check.record().to_json()
    assert minors.record().to_json()["minors"] == 3
    assert minors.dates_in_ids and not check.dates_in_ids


def test_each_counting_rule_judges_its_own_dates() -> None:
    dates = pa.array([dt.date(2025, 12, 31), CUTOFF, dt.date(2026, 2, 1), dt.date(2027, 1, 1), None],
                     type=pa.date32())
    over, unusable = judge(Check("retention", "d", {}, CUTOFF, AS_OF), dates)
    assert over.to_pylist() == [True, False, False, False, False] and not any(unusable.to_pylist())
    child, unusable = judge(Check("minor_data", "d", {}, CUTOFF, AS_OF), dates)
    assert child.to_pylist() == [False, False, True, False, False]
    assert unusable.to_pylist() == [False, False, False, True, False]  # born after as_of: not an age


def test_only_counting_rules_can_be_counted() -> None:
    assert isinstance(counting_rule("minor_data"), CountingRule)
    for name in ("minimization", "acme.nothing"):
        with pytest.raises(ValueError, match="not a registered counting rule"):
            counting_rule(name)


def test_the_rule_words_its_check_and_a_missing_count_shows_as_a_question_mark() -> None:
    rule = rules.get("retention")
    assert isinstance(rule, CountingRule)
    assert rule.check_sentence("en", RETENTION) == "Retention on d: 4 of 9 rows older than 89 days (before 2026-01-01)"
    partial = {k: v for k, v in RETENTION.items() if k != "over_limit"}
    assert rule.check_sentence("zh", partial) == "保存期限（d）：9 行中 ? 行超过 89 天（早于 2026-01-01）"


def _findings(checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": 1, "tool": {"name": "piiwarden", "version": "x"},
        "scan": {"id": "s", "started_at": "a", "finished_at": "b", "as_of": AS_OF.isoformat(), "sources": ["s"],
                 "mode": "full"},
        "datasets": [{"id": "t.csv", "source": "s", "format": "csv", "rows": 9, "rows_scanned": 9, "errors": [],
                      "columns": [], "policy_checks": checks}],
        "violations": [], "errors": [],
    }


def test_the_report_shows_checks_as_their_rules_word_them_and_survives_an_unknown_rule() -> None:
    unknown = {"rule": "acme.gone", "column": "c", "status": "ok", "rows": 5, "hits": 1, "missing": 0,
               "unparseable": 0}
    html = render_html(_findings([RETENTION, MINORS, unknown]), "en")
    assert "Retention on d: 4 of 9 rows older than 89 days (before 2026-01-01); 1 empty, 2 unparseable" in html
    assert "Under-14s in id: 3 of 9 rows (born after 2012-03-31)" in html
    assert "acme.gone on c: 5 rows counted" in html


def test_rules_evaluate_typed_results_into_typed_violations() -> None:
    ds = DatasetResult.from_json({"id": "s.csv", "columns": [], "policy_checks": [RETENTION, MINORS]})
    (violation,) = rules.evaluate(None, [ds])  # retention needs a policy; the column is not in the dataset
    assert (violation.rule, violation.count, violation.column, violation.unparseable) == ("minor_data", 3, "id", 0)
    assert violation.severity == "high"  # level 0 column, raised to the rule's floor

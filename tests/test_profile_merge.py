"""ColumnProfile.merge: profiles of a column's partitions merge into what one pass over all rows gives.

The Spark engine profiles each partition on an executor and merges on the
driver, so a merge that loses counts, distinct values, prefixes, samples or
free-text evidence would silently change findings.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors.classify as classify
from detectors.classify import ColumnProfile
from tests.test_classify import make_card, make_id, make_mobile


def _one_pass_and_merged(name: str, parts: list[list], comment: str | None = None) -> tuple[ColumnProfile, ColumnProfile]:
    whole = ColumnProfile(name, comment)
    for part in parts:
        whole.update(pa.array(part, type=pa.string()))
    merged = ColumnProfile(name, comment)
    for part in parts:
        piece = ColumnProfile(name, comment)
        piece.update(pa.array(part, type=pa.string()))
        merged.merge(piece)
    return whole, merged


def _state(p: ColumnProfile) -> dict:
    return {
        "values": p.values, "texty": p.texty, "name_analyzed": p.name_analyzed, "text_skipped": p.text_skipped,
        "cells": {e: (ev.candidates, ev.validated, sorted(ev.distinct), sorted(ev.prefixes), ev.samples)
                  for e, ev in p.evidence.items()},
        "text": {e: (ev.values, ev.prefilter, round(ev.score_sum, 6), ev.with_context, sorted(ev.distinct),
                     ev.samples) for e, ev in p.text.items()},
    }


def test_structured_columns_merge_to_the_one_pass_profile():
    rng = random.Random(3)
    parts = [[make_mobile(rng) for _ in range(120)] + ["", None, "n/a"] for _ in range(4)]
    whole, merged = _one_pass_and_merged("手机号", parts)
    assert _state(merged) == _state(whole)
    assert merged.result() == whole.result()
    assert merged.result().primary_entity == "CN_MOBILE_PHONE"
    assert merged.evidence["CN_MOBILE_PHONE"].validated == 480


def test_mixed_ids_and_cards_merge_counts_and_samples_in_partition_order():
    rng = random.Random(5)
    parts = [[make_id(rng) for _ in range(60)], [make_card(rng) for _ in range(30)], [make_id(rng) for _ in range(60)]]
    whole, merged = _one_pass_and_merged("证件", parts)
    assert _state(merged) == _state(whole)
    ev = merged.evidence["CN_RESIDENT_ID"]
    assert ev.samples == parts[0][:3]  # the first partition's first values, as one pass keeps them
    assert merged.result() == whole.result()


def test_free_text_evidence_merges():
    rng = random.Random(9)
    texts = [f"客户来电 手机 {make_mobile(rng)} 请回电" for _ in range(40)] + ["今天天气很好"] * 5
    parts = [texts[:20], texts[20:]]
    whole, merged = _one_pass_and_merged("备注", parts)
    assert merged.text["CN_MOBILE_PHONE"].values == whole.text["CN_MOBILE_PHONE"].values > 0
    assert _state(merged) == _state(whole)
    assert merged.result() == whole.result()


def test_distinct_values_and_prefixes_are_capped_where_the_decision_stops_looking():
    rng = random.Random(11)
    first = ColumnProfile("mobile")
    first.update(pa.array([make_mobile(rng) for _ in range(40)]))
    second = ColumnProfile("mobile")
    second.update(pa.array([make_mobile(rng) for _ in range(40)]))
    first.merge(second)
    ev = first.evidence["CN_MOBILE_PHONE"]
    assert len(ev.distinct) == classify.DISTINCT_KEPT
    assert ev.validated == 80
    assert len(ev.prefixes) == first.recognizers[2].MIN_PREFIXES == 3
    assert ev.prefixes <= {v[:3] for v in ev.distinct} | {v[:3] for v in second.evidence["CN_MOBILE_PHONE"].distinct}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=1, max_size=6), st.integers(1, 400))
def test_capped_evidence_decides_as_the_whole_column_would(sizes, pool):
    """Diversity tests compare counts with thresholds of at most DISTINCT_ENOUGH: caps never change a finding.

    Mobiles drawn from a pool of ``pool`` numbers, over partitions of the given sizes.
    """
    rng = random.Random(pool)
    numbers = [make_mobile(rng) for _ in range(pool)]
    parts = [[rng.choice(numbers) for _ in range(n)] for n in sizes]
    values = [v for part in parts for v in part]
    whole = ColumnProfile("phone")
    whole.update(pa.array(values, type=pa.string()))
    merged = ColumnProfile("phone")
    for part in parts:
        piece = ColumnProfile("phone")
        piece.update(pa.array(part, type=pa.string()))
        merged.merge(piece)
    ev = whole.evidence["CN_MOBILE_PHONE"]
    assert len(ev.distinct) == min(len(set(values)), classify.DISTINCT_KEPT)
    assert len(ev.prefixes) == min(len({v[:3] for v in values}), 3)
    assert merged.result() == whole.result()


def test_merging_an_empty_profile_changes_nothing_and_names_must_match():
    rng = random.Random(1)
    profile = ColumnProfile("card")
    profile.update(pa.array([make_card(rng) for _ in range(50)]))
    before = _state(profile)
    profile.merge(ColumnProfile("card"))
    assert _state(profile) == before
    with pytest.raises(ValueError):
        profile.merge(ColumnProfile("other"))


@pytest.mark.parametrize("kind", ["mobile", "names", "chat", "mixed"])
def test_deduplicated_batches_give_the_evidence_of_every_row(kind: str, monkeypatch: pytest.MonkeyPatch):
    """A repetitive batch is examined once per distinct value, each weighted by its count: same evidence."""
    rng = random.Random(5)
    pool = {
        "mobile": [make_mobile(rng) for _ in range(300)],
        "names": ["张伟", "王芳", "李娜", "Mary Smith", "刘洋", "无"],
        "chat": [f"客户来电 手机 {make_mobile(rng)} 请回电" for _ in range(40)] + ["今天天气很好", "身份证 " + make_id(rng)],
        "mixed": [make_card(rng) for _ in range(20)] + [make_id(rng) for _ in range(20)] + ["", " ", "n/a"],
    }[kind]
    values = pa.array([rng.choice(pool) for _ in range(6000)], type=pa.string())
    assert classify.deduplicated(classify._string_values(values))[1] is not None  # this batch is deduplicated
    deduped = ColumnProfile(kind)
    deduped.update(values)
    monkeypatch.setattr(classify, "DEDUP_PROBE", 10**9)  # never deduplicate
    plain = ColumnProfile(kind)
    plain.update(values)
    assert _state(deduped) == _state(plain)
    assert deduped.result() == plain.result()


def test_unique_batches_are_not_deduplicated():
    rng = random.Random(6)
    values = pa.array([make_mobile(rng) for _ in range(6000)], type=pa.string())
    assert classify.deduplicated(values)[1] is None

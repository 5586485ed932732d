"""ColumnProfile.merge: profiles of a column's partitions merge into what one pass over all rows gives.

The Spark engine profiles each partition on an executor and merges on the
driver, so a merge that loses counts, distinct values, prefixes, samples or
free-text evidence would silently change findings.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

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
    assert merged.result()["primary_entity"] == "CN_MOBILE_PHONE"
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


def test_distinct_values_are_capped_and_prefixes_follow_the_values_kept(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(classify, "MAX_DISTINCT", 50)
    rng = random.Random(11)
    first = ColumnProfile("mobile")
    first.update(pa.array([make_mobile(rng) for _ in range(40)]))
    second = ColumnProfile("mobile")
    second.update(pa.array([make_mobile(rng) for _ in range(40)]))
    first.merge(second)
    ev = first.evidence["CN_MOBILE_PHONE"]
    assert len(ev.distinct) == 50
    assert ev.validated == 80
    assert ev.prefixes == {v[:3] for v in ev.distinct}


def test_merging_an_empty_profile_changes_nothing_and_names_must_match():
    rng = random.Random(1)
    profile = ColumnProfile("card")
    profile.update(pa.array([make_card(rng) for _ in range(50)]))
    before = _state(profile)
    profile.merge(ColumnProfile("card"))
    assert _state(profile) == before
    with pytest.raises(ValueError):
        profile.merge(ColumnProfile("other"))

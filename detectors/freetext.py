"""Free-text evidence: which entities a column's prose values hold, and how often.

The classifier hands over the distinct texts that passed its RE2 prefilters
and how often each occurs. Pattern entities (IDs, cards, phones, e-mails,
addresses ...) are found by each recognizer's ``analyze_batch``: the same
Presidio patterns and validators, run once per pattern over all texts
rather than once per text. Only entities that need language analysis go
through Presidio's BatchAnalyzerEngine text by text: person names (jieba's
POS tags; at most NAME_CAP texts per column) and, when a spaCy model is
installed, NER addresses. Spans of all entities then compete as they did in
one analyzer call: the strongest of overlapping spans wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.engine import get_batch_analyzer, ner_languages
from detectors.recognizers import PiiRecognizer

MAX_SAMPLES = 3
MAX_DISTINCT = 5000
NAME = "PERSON_NAME"
ADDRESS = "ADDRESS"
# Free text is analyzed for names (jieba, the slow part) up to this many values per column.
NAME_CAP = 1000
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass
class TextEvidence:
    """What was found in a column's free-text values for one entity."""

    entity: str
    values: int = 0  # values with at least one validated span
    prefilter: int = 0  # values where the entity's span pattern matched, validated or not
    score_sum: float = 0.0
    with_context: int = 0  # hits whose value also holds a context word (卡号, 手机, ...)
    distinct: set[str] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)


@dataclass
class NameBudget:
    """How many texts a column has analyzed for names, and how many it skipped over the cap."""

    analyzed: int = 0
    skipped: int = 0
    cap: int = NAME_CAP


@dataclass
class _Spans:
    """Spans of many texts: parallel lists, one row per span."""

    text: list[int] = field(default_factory=list)
    entity: list[str] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)

    def add(self, text: int, entity: str, start: int, end: int, score: float) -> None:
        self.text.append(text)
        self.entity.append(entity)
        self.start.append(start)
        self.end.append(end)
        self.score.append(score)

    def rows(self) -> Iterable[tuple[int, str, int, int, float]]:
        return zip(self.text, self.entity, self.start, self.end, self.score)


def presidio_entities() -> set[str]:
    """Entities that need Presidio's per-text analysis (NLP), not only patterns."""
    return {NAME, ADDRESS} if ner_languages() else {NAME}


def analyze_texts(recognizers: list[PiiRecognizer], evidence: dict[str, TextEvidence], budget: NameBudget,
                  distinct: pa.Array, weights: np.ndarray, prefilter: dict[str, np.ndarray]) -> None:
    """Add the spans found in distinct texts (each weighing its number of occurrences) to the evidence.

    ``prefilter[entity]`` says which texts the entity's RE2 prefilter
    selected; nothing else is looked for in a text. A trial (the chance
    test's denominator) is a text where the entity's own span pattern
    matches outside the spans kept for other entities: an 18-digit ID is not
    a failed card number.
    """
    texts: list[str] = distinct.to_pylist()
    wanted = dict(prefilter)
    if NAME in wanted:
        wanted[NAME] = _name_allowance(wanted[NAME], weights, budget)
    nlp = presidio_entities()
    spans = _Spans()
    raw = {}
    for recognizer in recognizers:
        entity = recognizer.ENTITY
        if entity in nlp or entity not in wanted or not wanted[entity].any():
            continue
        index = np.flatnonzero(wanted[entity])
        matches, found = recognizer.analyze_batch([texts[i] for i in index.tolist()])
        raw[entity] = (index[matches.text], matches.start, matches.end)
        for i, s, e in zip(index[found.text].tolist(), found.start.tolist(), found.end.tolist()):
            spans.add(i, entity, s, e, recognizer.STRENGTH)
    _presidio_spans(texts, {e: wanted[e] for e in nlp if e in wanted}, spans)
    kept = _resolve(spans)
    _count_hits(recognizers, evidence, texts, distinct, weights, kept)
    _count_trials(recognizers, evidence, texts, weights, wanted, raw, kept)


def _name_allowance(candidates: np.ndarray, weights: np.ndarray, budget: NameBudget) -> np.ndarray:
    """Which name candidates to analyze: the first ones until the column's cap (NAME_CAP) is used up."""
    index = np.flatnonzero(candidates)
    before = budget.analyzed + np.cumsum(weights[index]) - weights[index]
    allowed = before < budget.cap
    budget.analyzed += int(weights[index[allowed]].sum())
    budget.skipped += int(weights[index[~allowed]].sum())
    out = np.zeros_like(candidates)
    out[index[allowed]] = True
    return out


def _presidio_spans(texts: list[str], wanted: dict[str, np.ndarray], spans: _Spans) -> None:
    """Spans of the NLP entities, from Presidio's batch analyzer, texts grouped by language and entity set."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    any_wanted = np.zeros(len(texts), dtype=bool)
    for mask in wanted.values():
        any_wanted |= mask
    for i in np.flatnonzero(any_wanted).tolist():
        entities = tuple(sorted(e for e, mask in wanted.items() if mask[i]))
        groups.setdefault(("zh" if _HAN.search(texts[i]) else "en", entities), []).append(i)
    analyzer = get_batch_analyzer()
    for (lang, entities), index in groups.items():
        batch = [texts[i] for i in index]
        for i, results in zip(index, analyzer.analyze_iterator(batch, language=lang, entities=list(entities),
                                                               batch_size=64)):
            for r in results:
                spans.add(i, r.entity_type, r.start, r.end, r.score)


def _resolve(spans: _Spans) -> _Spans:
    """Per text, the strongest of overlapping spans, then one span (the first) per entity.

    Texts with a single span keep it as is; only texts with several go
    through the Python comparison.
    """
    kept = _Spans()
    if not spans.text:
        return kept
    per_text = np.bincount(np.asarray(spans.text, dtype=np.int64))
    crowded: dict[int, list[tuple[int, str, int, int, float]]] = {}
    for row in spans.rows():
        if per_text[row[0]] == 1:
            kept.add(*row)
        else:
            crowded.setdefault(row[0], []).append(row)
    for rows in crowded.values():
        for row in resolve_overlaps(rows):
            kept.add(*row)
    return kept


def resolve_overlaps(rows: list[tuple[int, str, int, int, float]]) -> list[tuple[int, str, int, int, float]]:
    """One text's (text, entity, start, end, score) spans: the strongest of overlapping ones, one per entity.

    Ties go as Presidio orders results: higher score, then earlier, then longer.
    """
    ordered = sorted(rows, key=lambda r: (-r[4], r[2], r[2] - r[3]))
    chosen: list[tuple[int, str, int, int, float]] = []
    for row in ordered:
        if not any(row[2] < c[3] and c[2] < row[3] for c in chosen):
            chosen.append(row)
    seen: set[str] = set()
    unique = []
    for row in sorted(chosen, key=lambda r: r[2]):
        if row[1] not in seen:
            seen.add(row[1])
            unique.append(row)
    return unique


def _count_hits(recognizers: list[PiiRecognizer], evidence: dict[str, TextEvidence], texts: list[str],
                distinct: pa.Array, weights: np.ndarray, kept: _Spans) -> None:
    """Hits, scores, context words, distinct pieces and samples per entity, in text order."""
    if not kept.text:
        return
    order = sorted(range(len(kept.text)), key=lambda k: (kept.text[k], kept.start[k]))
    by_entity: dict[str, list[int]] = {}
    for k in order:
        by_entity.setdefault(kept.entity[k], []).append(k)
    for recognizer in recognizers:
        rows = by_entity.get(recognizer.ENTITY)
        if not rows:
            continue
        ev = evidence[recognizer.ENTITY]
        index = np.asarray([kept.text[k] for k in rows], dtype=np.int64)
        w = weights[index]
        ev.values += int(w.sum())
        ev.score_sum += float((w * np.asarray([kept.score[k] for k in rows])).sum())
        ev.with_context += int(w[_context_mask(recognizer, distinct, index)].sum())
        pieces = [texts[kept.text[k]][kept.start[k] : kept.end[k]] for k in rows]
        _add_pieces(ev, pieces)


def _context_mask(recognizer: PiiRecognizer, distinct: pa.Array, index: np.ndarray) -> np.ndarray:
    """Which of the given texts hold one of the recognizer's context words (has_context, column-wise)."""
    if not recognizer.CONTEXT:
        return np.zeros(len(index), dtype=bool)
    pattern = "|".join(re.escape(word) for word in recognizer.CONTEXT)
    chosen = distinct.take(pa.array(index))
    return np.asarray(pc.fill_null(pc.match_substring_regex(chosen, pattern, ignore_case=True), False))


def _add_pieces(ev: TextEvidence, pieces: list[str]) -> None:
    """Distinct found strings (capped) and the first samples."""
    if len(ev.distinct) < MAX_DISTINCT:
        for piece in pieces:
            ev.distinct.add(piece)
            if len(ev.distinct) >= MAX_DISTINCT:
                break
    for piece in pieces:
        if len(ev.samples) >= MAX_SAMPLES:
            break
        if piece not in ev.samples:
            ev.samples.append(piece)


def _count_trials(recognizers: list[PiiRecognizer], evidence: dict[str, TextEvidence], texts: list[str],
                  weights: np.ndarray, wanted: dict[str, np.ndarray], raw: dict[str, Any], kept: _Spans) -> None:
    """Texts where the entity's pattern matches outside other entities' kept spans, weighted."""
    kept_text = np.asarray(kept.text, dtype=np.int64)
    kept_entity = np.asarray(kept.entity, dtype=object)
    by_text: dict[int, list[tuple[str, int, int]]] = {}
    for i, entity, s, e, _score in kept.rows():
        by_text.setdefault(i, []).append((entity, s, e))
    for recognizer in recognizers:
        entity = recognizer.ENTITY
        mask = wanted.get(entity)
        if mask is None or not mask.any():
            continue
        crowded = np.zeros(len(texts), dtype=bool)  # texts holding another entity's span
        crowded[kept_text[kept_entity != entity]] = True
        trial = np.zeros(len(texts), dtype=bool)
        recheck = mask.copy()
        if entity in raw:  # pattern entities: decided from their matches where blanking cannot matter
            raw_text, raw_start, raw_end = raw[entity]
            trial[raw_text] = True
            trial &= mask & ~crowded
            recheck = mask & crowded
            if not _looks_ahead_or_behind(recognizer):
                free = [i for i, s, e in zip(raw_text.tolist(), raw_start.tolist(), raw_end.tolist())
                        if crowded[i] and not _overlaps_other(by_text[i], entity, s, e)]
                trial[free] = mask[free]
                recheck &= ~trial
        for i in np.flatnonzero(recheck).tolist():
            trial[i] = recognizer.has_pattern_match(blank_others(texts[i], by_text.get(i, []), entity))
        evidence[entity].prefilter += int(weights[trial].sum())


def _looks_ahead_or_behind(recognizer: PiiRecognizer) -> bool:
    """Whether a pattern has a positive lookaround, which blanking a neighbouring span can break.

    Negative lookarounds in piiwarden's patterns test digits, letters and
    punctuation, never a space, so a match outside other spans survives
    their blanking.
    """
    return any("(?<=" in p.regex or "(?=" in p.regex for p in recognizer.patterns)


def _overlaps_other(spans: list[tuple[str, int, int]], entity: str, start: int, end: int) -> bool:
    return any(other != entity and start < e and s < end for other, s, e in spans)


def blank_others(text: str, spans: list[tuple[str, int, int]], entity: str) -> str:
    """The text with spans of other entities blanked out."""
    chars = list(text)
    for other, start, end in spans:
        if other != entity:
            chars[start:end] = " " * (end - start)
    return "".join(chars)

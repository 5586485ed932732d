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

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.batchspans import Joined, Matches, find_all, needed_chars
from detectors.ennames import TEXT_PREFILTER as EN_NAME_PREFILTER
from detectors.entities import registry
from detectors.nlpmodels import ner_languages
from detectors.patternfacts import may_fit, may_match, pattern_needs, value_facts, value_gate
from detectors.recognizers import PiiRecognizer
from detectors.textanalysis import analyze_batch
from detectors.validators import cn_surnames

MAX_SAMPLES = 3
# The diversity tests' scale: at most MAX_DISTINCT values count toward a threshold, and
# DISTINCT_ENOUGH distinct ones always suffice (big tables repeat names).
MAX_DISTINCT = 5000
DISTINCT_ENOUGH = 50
# Distinct values kept per entity. The tests only ask whether there are fewer than a
# threshold of at most DISTINCT_ENOUGH, which min(count, DISTINCT_KEPT) answers exactly,
# also after merging capped sets; keeping thousands would cost every unit of a full pass.
DISTINCT_KEPT = DISTINCT_ENOUGH
# The entities free-text name finding and NER report (EntitySpec roles, detectors/entities/).
NAME = registry.role_entity(lambda spec: spec.person_name)
ADDRESS = registry.role_entity(lambda spec: spec.postal_address)
# Free texts analyzed for names (jieba, the slow part) per profile; the full pass shares it out by rows.
NAME_CAP = 1000
# Share of texts without a name in which a name span is found anyway (a place, a brand read as one):
# about 1 in 100 on bench/names_eval.py's hard negatives, doubled for margin. A column's name spans
# must be more than this noise: 5 of 300 company names or county names are not a column of people.
NAME_SPAN_NOISE = 0.02
_HAN = re.compile(r"[\u3400-\u9fff]")


def language_of(text: str) -> str:
    """The analyzer language for a text: zh when it holds a Han character, else en."""
    return "zh" if _HAN.search(text) else "en"


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


class _Spans:
    """Spans of many texts as parallel numpy arrays (one row per span), built chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.text = self.entity = self.start = self.end = np.zeros(0, dtype=np.int64)
        self.score = np.zeros(0, dtype=np.float64)

    def add(self, text: np.ndarray, entity: int, start: np.ndarray, end: np.ndarray, score: float) -> None:
        """Spans of one entity (its position in the recognizer list), one score."""
        n = len(text)
        self._chunks.append((np.asarray(text, dtype=np.int64), np.full(n, entity, dtype=np.int64),
                             np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64),
                             np.full(n, score, dtype=np.float64)))

    def finish(self) -> _Spans:
        """Concatenate the chunks, rows sorted by (text, start)."""
        if self._chunks:
            cols = [np.concatenate(c) for c in zip(*self._chunks)]
            order = np.lexsort((cols[2], cols[0]))
            self.text, self.entity, self.start, self.end, self.score = (c[order] for c in cols)
        self._chunks = []
        return self

    def __len__(self) -> int:
        return len(self.text)

    def take(self, keep: np.ndarray) -> _Spans:
        out = _Spans()
        out.text, out.entity, out.start, out.end, out.score = (
            self.text[keep], self.entity[keep], self.start[keep], self.end[keep], self.score[keep])
        return out


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
        wanted[NAME] = _name_allowance(wanted[NAME] & name_candidates(distinct), weights, budget)
    nlp = presidio_entities()
    joined = Joined(texts)
    spans, raw = _collect(recognizers, texts, wanted, nlp, joined)
    kept = _resolve(spans)
    _count_hits(recognizers, evidence, texts, distinct, weights, kept)
    _count_trials(recognizers, evidence, joined, weights, wanted, raw, kept)


def _collect(recognizers: list[PiiRecognizer], texts: list[str], wanted: dict[str, np.ndarray],
             nlp: set[str], joined: Joined | None = None) -> tuple[_Spans, dict[str, Any]]:
    """Spans of every wanted entity (pattern entities in batch, NLP ones through Presidio) and raw matches.

    ``joined``: all the texts joined, whose checks for characters the regex
    engines judge differently are then made once, not per entity.
    """
    code = {r.ENTITY: k for k, r in enumerate(recognizers)}
    spans = _Spans()
    raw = {}
    for recognizer in recognizers:
        entity = recognizer.ENTITY
        if entity in nlp or entity not in wanted or not wanted[entity].any():
            continue
        index = np.flatnonzero(wanted[entity])
        matches, found = recognizer.analyze_batch([texts[i] for i in index.tolist()], joined)
        raw[entity] = (index[matches.text], matches.start, matches.end)
        spans.add(index[found.text], code[entity], found.start, found.end, recognizer.STRENGTH)
    _presidio_spans(texts, {e: wanted[e] for e in nlp if e in wanted}, spans, code)
    return spans.finish(), raw


def find_spans(recognizers: list[PiiRecognizer], distinct: pa.Array,
               texts: list[str] | None = None) -> list[list[tuple[str, int, int, float]]]:
    """Every span Presidio's analyzer returns for each text, as (entity, start, end, score), unresolved.

    Anonymization rewrites every span, so names are looked for in every text
    that can hold one (no NAME_CAP). Each entity is looked for only where its
    own RE2 prefilter matches, a necessary condition for any of its spans.
    """
    texts = distinct.to_pylist() if texts is None else texts
    wanted = prefiltered(recognizers, distinct)
    if NAME in wanted:
        wanted[NAME] &= name_candidates(distinct)
    nlp = presidio_entities()
    if ner_languages():  # an NER model reads any text
        wanted.update({e: np.ones(len(texts), dtype=bool) for e in nlp})
    spans, _raw = _collect(recognizers, texts, wanted, nlp)
    out: list[list[tuple[str, int, int, float]]] = [[] for _ in texts]
    for i, k, start, end, score in zip(spans.text.tolist(), spans.entity.tolist(), spans.start.tolist(),
                                       spans.end.tolist(), spans.score.tolist()):
        out[i].append((recognizers[k].ENTITY, start, end, score))
    return out


def prefiltered(recognizers: list[PiiRecognizer], texts: pa.Array,
                present: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Which texts each recognizer's RE2 prefilter matches, run only on the texts it can match.

    A prefilter needing characters the batch lacks (``present``: its bytes,
    default read here) is not run; the others run only on texts whose length
    and characters admit a match (detectors/patternfacts.py).
    """
    facts = value_facts(texts, np.asarray(pc.fill_null(pc.utf8_length(texts), 0)))
    present = facts.present() if present is None else present
    out = {}
    for recognizer in recognizers:
        pattern = recognizer.TEXT_PREFILTER
        out[recognizer.ENTITY] = mine = np.zeros(len(texts), dtype=bool)
        if not may_match(pattern_needs(pattern), present):
            continue
        fits = may_fit(value_gate(pattern), facts)
        if fits.any():
            chosen = texts if fits.all() else texts.filter(pa.array(fits))
            mine[fits] = np.asarray(pc.fill_null(pc.match_substring_regex(chosen, pattern), False))
    return out


def name_candidates(texts: pa.Array) -> np.ndarray:
    """Texts that can hold a person name span: what the name recognizers need, in one RE2 pass.

    Without an NER model, a Chinese name span is a jieba word starting with
    a known surname (is_chinese_name), and an English one is two capitalized
    words; texts with neither are not sent to jieba. With an NER model any
    text can hold a name.
    """
    if ner_languages():
        return np.ones(len(texts), dtype=bool)
    return np.asarray(pc.fill_null(pc.match_substring_regex(texts, _name_pattern()), False))


@functools.cache
def _name_pattern() -> str:
    compound, single = cn_surnames()
    return (EN_NAME_PREFILTER + r"|[" + "".join(sorted(single)) + r"]\p{Han}|(?:"
            + "|".join(sorted(compound)) + r")\p{Han}")


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


def _presidio_spans(texts: list[str], wanted: dict[str, np.ndarray], spans: _Spans, code: dict[str, int]) -> None:
    """Spans of the NLP entities, from Presidio's analysis (detectors/textanalysis.py), texts grouped by language and entity set."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    any_wanted = np.zeros(len(texts), dtype=bool)
    for mask in wanted.values():
        any_wanted |= mask
    for i in np.flatnonzero(any_wanted).tolist():
        entities = tuple(sorted(e for e, mask in wanted.items() if mask[i]))
        groups.setdefault((language_of(texts[i]), entities), []).append(i)
    for (lang, entities), index in groups.items():
        batch = [texts[i] for i in index]
        for i, results in zip(index, analyze_batch(batch, lang, list(entities))):
            for r in results:
                spans.add(np.array([i]), code[r.entity_type], np.array([r.start]), np.array([r.end]), r.score)


def _resolve(spans: _Spans) -> _Spans:
    """Per text, the strongest of overlapping spans, then one span (the first) per entity.

    Texts with a single span keep it as is; only texts with several go
    through the Python comparison.
    """
    if not len(spans):
        return spans
    per_text = np.bincount(spans.text)
    crowded = per_text[spans.text] > 1
    if not crowded.any():
        return spans
    rows = list(zip(*(a.tolist() for a in (spans.text[crowded], spans.entity[crowded], spans.start[crowded],
                                           spans.end[crowded], spans.score[crowded]))))
    keep = np.flatnonzero(~crowded).tolist()
    position = {row: k for row, k in zip(rows, np.flatnonzero(crowded).tolist())}
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j][0] == rows[i][0]:
            j += 1
        keep.extend(position[row] for row in resolve_overlaps(rows[i:j]))
        i = j
    return spans.take(np.sort(np.asarray(keep, dtype=np.int64)))


def resolve_overlaps(rows: list[tuple[int, int, int, int, float]]) -> list[tuple[int, int, int, int, float]]:
    """One text's (text, entity, start, end, score) spans: the strongest of overlapping ones, one per entity.

    Ties go as Presidio orders results: higher score, then earlier, then longer.
    """
    ordered = sorted(rows, key=lambda r: (-r[4], r[2], r[2] - r[3]))
    chosen: list[tuple[int, int, int, int, float]] = []
    for row in ordered:
        if not any(row[2] < c[3] and c[2] < row[3] for c in chosen):
            chosen.append(row)
    seen: set[int] = set()
    unique = []
    for row in sorted(chosen, key=lambda r: r[2]):
        if row[1] not in seen:
            seen.add(row[1])
            unique.append(row)
    return unique


def _count_hits(recognizers: list[PiiRecognizer], evidence: dict[str, TextEvidence], texts: list[str],
                distinct: pa.Array, weights: np.ndarray, kept: _Spans) -> None:
    """Hits, scores, context words, distinct pieces and samples per entity, in text order."""
    for k, recognizer in enumerate(recognizers):
        mine = kept.take(kept.entity == k)
        if not len(mine):
            continue
        ev = evidence[recognizer.ENTITY]
        w = weights[mine.text]
        ev.values += int(w.sum())
        ev.score_sum += float((w * mine.score).sum())
        ev.with_context += int(w[_context_mask(recognizer, distinct, mine.text)].sum())
        _add_pieces(ev, texts, mine)


def _context_mask(recognizer: PiiRecognizer, distinct: pa.Array, index: np.ndarray) -> np.ndarray:
    """Which of the given texts hold one of the recognizer's context words (has_context, column-wise)."""
    if not recognizer.CONTEXT:
        return np.zeros(len(index), dtype=bool)
    pattern = "|".join(re.escape(word) for word in recognizer.CONTEXT)
    chosen = distinct.take(pa.array(index))
    return np.asarray(pc.fill_null(pc.match_substring_regex(chosen, pattern, ignore_case=True), False))


def _add_pieces(ev: TextEvidence, texts: list[str], spans: _Spans) -> None:
    """Distinct found strings (capped) and the first samples, in text order."""
    for i, start, end in zip(spans.text.tolist(), spans.start.tolist(), spans.end.tolist()):
        full = len(ev.distinct) >= DISTINCT_KEPT
        if full and len(ev.samples) >= MAX_SAMPLES:
            break
        piece = texts[i][start:end]
        if not full:
            ev.distinct.add(piece)
        if len(ev.samples) < MAX_SAMPLES and piece not in ev.samples:
            ev.samples.append(piece)


def _count_trials(recognizers: list[PiiRecognizer], evidence: dict[str, TextEvidence], joined: Joined,
                  weights: np.ndarray, wanted: dict[str, np.ndarray], raw: dict[str, Any], kept: _Spans) -> None:
    """Texts where the entity's pattern matches outside other entities' kept spans, weighted.

    Decided from the pattern matches already found wherever blanking the
    other spans cannot change the answer; the other texts are blanked (all at
    once, over the joined string) and matched again, unless blanking left
    them without a character every match needs (``needed_chars``).
    """
    texts = joined.texts
    owner = np.full(len(joined.string), -1, dtype=np.int16)  # entity code of the kept span at each position
    for k in np.unique(kept.entity).tolist():
        owner[joined.positions(Matches(*(a[kept.entity == k] for a in (kept.text, kept.start, kept.end))))] = k
    blanked_all: Joined | None = None
    for k, recognizer in enumerate(recognizers):
        mask = wanted.get(recognizer.ENTITY)
        if mask is None or not mask.any():
            continue
        crowded = np.zeros(len(texts), dtype=bool)  # texts holding another entity's span
        crowded[kept.text[kept.entity != k]] = True
        trial = np.zeros(len(texts), dtype=bool)
        recheck = mask.copy()
        if recognizer.ENTITY in raw:  # pattern entities
            raw_text, raw_start, raw_end = raw[recognizer.ENTITY]
            trial[raw_text] = True
            trial &= mask & ~crowded
            recheck = mask & crowded
            if not _looks_ahead_or_behind(recognizer):
                free = _free_matches(joined, owner, k, raw_text, raw_start, raw_end, crowded)
                trial[free] = mask[free]
                recheck &= ~trial
        again = np.flatnonzero(recheck)
        if len(again):
            if blanked_all is None:
                blanked_all = joined.blanked(np.flatnonzero(owner >= 0))
            has_own = np.zeros(len(texts), dtype=bool)
            has_own[kept.text[kept.entity == k]] = True
            needed = needed_chars(tuple(recognizer.compiled_patterns()))
            if needed is not None:  # blanked texts left without a character every match needs: no match
                again = again[has_own[again] | blanked_all.may_match(needed, again)]
            candidates = [_blank_text(texts, kept, i, k) if has_own[i] else blanked_all.texts[i]
                          for i in again.tolist()]
            trial[again[np.unique(find_all(recognizer.compiled_patterns(), candidates).text)]] = True
        evidence[recognizer.ENTITY].prefilter += int(weights[trial].sum())


def _free_matches(joined: Joined, owner: np.ndarray, entity: int, text: np.ndarray, start: np.ndarray,
                  end: np.ndarray, crowded: np.ndarray) -> np.ndarray:
    """Texts (among the crowded ones) with a match that overlaps no other entity's kept span."""
    inside = crowded[text]
    text, start, end = text[inside], start[inside], end[inside]
    if not len(text):
        return text
    others = np.concatenate(([0], np.cumsum((owner >= 0) & (owner != entity))))
    g = joined.offsets[text]
    return np.unique(text[others[g + end] - others[g + start] == 0])


def _blank_text(texts: list[str], kept: _Spans, i: int, entity: int) -> str:
    """Text i with other entities' spans blanked (needed only where it holds a span of this entity too)."""
    rows = np.flatnonzero(kept.text == i)
    spans = list(zip(kept.entity[rows].tolist(), kept.start[rows].tolist(), kept.end[rows].tolist()))
    return blank_others(texts[i], spans, entity)


def _looks_ahead_or_behind(recognizer: PiiRecognizer) -> bool:
    """Whether a pattern has a positive lookaround, which blanking a neighbouring span can break.

    Negative lookarounds in piiwarden's patterns test digits, letters and
    punctuation, never a space, so a match outside other spans survives
    their blanking.
    """
    return any("(?<=" in p.regex or "(?=" in p.regex for p in recognizer.patterns)


def blank_others(text: str, spans: list[tuple[int, int, int]], entity: int) -> str:
    """The text with the (entity, start, end) spans of other entities blanked out."""
    chars = list(text)
    for other, start, end in spans:
        if other != entity:
            chars[start:end] = " " * (end - start)
    return "".join(chars)

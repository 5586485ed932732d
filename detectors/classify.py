"""Column classification: from a column's values and header to one graded finding.

Work is column-wise: pyarrow compute picks candidate cells with each
recognizer's RE2 cell pattern (skipped where the pattern cannot match,
detectors/patternfacts.py), and Python runs only on distinct candidates
(validators) and on free-text candidates (detectors/freetext.py). A profile
accumulates over batches and merges with others, so the same code serves a
10,000-row sample, a full pass unit by unit, and Spark partitions.

Decision, per entity: the validator pass rate among format matches must beat
what chance gives (``CHANCE`` of the recognizer, binomial test), and the share
of the column's values that validate must be high, lower when the header
agrees. A header alone never decides; a header contradicted by the values
(a ``phone`` column full of UUIDs) does not either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.entities import registry
from detectors.finding import CellCounts, ColumnEvidence, ColumnFinding, holds_pipl_sensitive
from detectors.finding import EntityEvidence as EntityEvidenceRow
from detectors.freetext import (
    DISTINCT_ENOUGH,
    DISTINCT_KEPT,
    MAX_DISTINCT,
    MAX_SAMPLES,
    NAME,
    NAME_CAP,
    NAME_SPAN_NOISE,
    NameBudget,
    TextEvidence,
    analyze_texts,
    prefiltered,
)
from detectors.headers import header_hints
from detectors.masking import mask_value
from detectors.patternfacts import ValueFacts, may_fit, may_match, pattern_needs, value_facts, value_gate
from detectors.placeholders import placeholder_mask
from detectors.recognizers import PiiRecognizer
from detectors.shapes import ENTITY_SHAPES, shaped_cells, shaped_forms
from detectors.stats import binomial_tail
from detectors.taxonomy import category_of, level_of

# Early stop in sample mode: a column decides on its first SETTLE_ROWS sampled values when every
# entity's shares clear or miss their bars by SETTLED_MARGIN (validated share; half of it for the
# pass rate). At 1,000 values a share's standard error is at most 0.016.
SETTLE_ROWS = 1000
SETTLED_MARGIN = 0.1
# Decision thresholds: share of non-empty values that validate.
MIN_HIT_NO_HINT = 0.5
MIN_HIT_WITH_HINT = 0.15
# Required pass rate among format matches, as a point between chance and certainty.
PASS_MARGIN_NO_HINT = 0.6
PASS_MARGIN_WITH_HINT = 0.2
MAX_P_VALUE = 1e-3
# Free text: values with whitespace or Han characters.
TEXTY_RE = r"[\s\p{Han}]"
_TEXTY_NEEDS = pattern_needs(TEXTY_RE)  # whitespace or a Han character (any non-ASCII byte)


@dataclass
class EntityEvidence:
    """What one recognizer saw in a column's cells."""

    entity: str
    candidates: int = 0
    validated: int = 0
    distinct: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)


# How often each value stands for (after deduplication), or None: every value once.
Weights = np.ndarray | None
# Deduplication: a strided probe of DEDUP_PROBE values estimates the number of distinct
# values from its repeats; a batch whose estimate is at most DEDUP_SHARE of its size is
# examined once per distinct value. Smaller batches are examined as they are.
DEDUP_PROBE = 1024
DEDUP_SHARE = 0.5


def shared_recognizers() -> list[PiiRecognizer]:
    """One instance of each recognizer for the whole process: they hold no per-column state.

    A full pass builds a profile per column per unit; building sixteen
    Presidio recognizers for each would cost more than some columns' scan.
    Rebuilt when the entity registry changes (a custom entity registered).
    """
    return _shared_recognizers(registry.generation())


@functools.lru_cache(maxsize=4)
def _shared_recognizers(generation: int) -> list[PiiRecognizer]:
    """shared_recognizers for one registry generation (the generation is only the cache key)."""
    return [cls() for cls in registry.recognizer_classes()]


def warm_up() -> None:
    """Load everything detection loads lazily, so processes forked afterwards share it.

    A full pass with ``--workers N`` forks N processes; without this, each
    would load jieba's tables, cpca's adcodes, the analyzer and the re twins
    on its own, at the same time, and keep its own copy (copy-on-write pages
    are shared only for what exists before the fork); the pattern facts
    (gates, needed characters) are read once too. Costs about two seconds
    once, whether the data needs them or not.
    """
    from detectors.batchspans import needed_chars, re_twin
    from detectors.cnnames import given_chars, place_names, word_freq
    from detectors.engine import get_batch_analyzer
    from detectors.validators import chinese_addresses_resolve, name_shaped

    for recognizer in shared_recognizers():
        for pattern in recognizer.compiled_patterns():
            re_twin(pattern)
        needed_chars(tuple(recognizer.compiled_patterns()))
        for pattern in (recognizer.cell_regex(False), recognizer.cell_regex(True), recognizer.TEXT_PREFILTER):
            value_gate(pattern)
    get_batch_analyzer()
    name_shaped("张伟")
    for spec in registry.all_specs():  # free-text recognizers' tables (jieba's POS tables)
        for make in spec.text_recognizers:
            make("zh").analyze("张伟来了", [spec.name])
    given_chars(), word_freq("张伟"), place_names()  # free-text names: given-name characters, word counts, places
    chinese_addresses_resolve(["北京市朝阳区建国路88号"])  # cpca's adcodes


def deduplicated(values: pa.Array) -> tuple[pa.Array, Weights]:
    """The distinct values and how often each occurs, when the batch repeats itself enough to gain from it.

    Date, status, city and name columns repeat a few thousand values over
    millions of rows; every count the profile keeps is then weighted, so the
    evidence is exactly that of examining each row. Distinct values come in
    order of first occurrence, as ``pc.unique`` gives them, so samples and
    name budgets follow the same order too. The probe's repeated pairs give
    the estimate: k values drawn from D equally common ones repeat about
    k(k-1)/(2D) pairs.
    """
    n = len(values)
    if n < 4 * DEDUP_PROBE:
        return values, None
    probe = values.take(pa.array(np.linspace(0, n - 1, DEDUP_PROBE).astype(np.int64)))
    repeats = np.asarray(pc.value_counts(probe).field("counts"), dtype=np.int64)
    pairs = int((repeats * (repeats - 1) // 2).sum())
    if pairs == 0 or DEDUP_PROBE * (DEDUP_PROBE - 1) / (2 * pairs) > DEDUP_SHARE * n:
        return values, None
    counts = pc.value_counts(values)
    return counts.field("values"), np.asarray(counts.field("counts"), dtype=np.int64)


def _kept(weights: Weights, mask: np.ndarray) -> Weights:
    """The weights of the values a boolean mask keeps."""
    return None if weights is None else weights[mask]


def _total(weights: Weights, count: int) -> int:
    """How many rows ``count`` values stand for."""
    return count if weights is None else int(weights.sum())


def _string_values(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Non-empty, trimmed string values of a column (lists flattened, types cast)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    while pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        array = pc.list_flatten(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_struct(array.type) or pa.types.is_map(array.type) or pa.types.is_null(array.type):
        return pa.array([], type=pa.string())
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        return pa.array([], type=pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string())
    array = pc.utf8_trim_whitespace(array)
    keep = pc.and_(pc.is_valid(array), pc.greater(pc.utf8_length(array), 0))
    return array.filter(pc.fill_null(keep, False))


class ColumnProfile:
    """Evidence about one column, accumulated batch by batch."""

    def __init__(self, name: str, comment: str | None = None,
                 recognizers: list[PiiRecognizer] | None = None, name_cap: int = NAME_CAP) -> None:
        self.name = name
        self.name_cap = name_cap  # free texts analyzed for names (jieba) at most, in this profile
        self.comment = comment
        self.hints = header_hints(name, comment)
        self.recognizers = recognizers or shared_recognizers()
        self.values = 0
        self.placeholders = 0  # placeholder values (无, N/A, -) left out of every ratio; kept internal
        self.texty = 0
        self.name_analyzed = 0
        self.text_skipped = 0  # texts not analyzed for names (over NAME_CAP)
        self.stopped_early = False  # sample mode decided on the first SETTLE_ROWS values
        self.evidence = {r.ENTITY: EntityEvidence(r.ENTITY) for r in self.recognizers}
        self.text = {r.ENTITY: TextEvidence(r.ENTITY) for r in self.recognizers}
        self._cell_any = "|".join(f"(?:{r.CELL_REGEX})" for r in self.recognizers if r.CELL_IS_TOKEN)
        self._prefilter_any = "|".join(f"(?:{r.TEXT_PREFILTER})" for r in self.recognizers)

    def update(self, array: pa.Array | pa.ChunkedArray) -> None:
        """Add one batch of the column's values (repetitive columns are examined once per distinct value)."""
        values = _string_values(array)
        placeholder = placeholder_mask(values)
        if placeholder.any():
            self.placeholders += int(placeholder.sum())
            values = values.filter(pa.array(~placeholder))
        if len(values) == 0:
            return
        self.values += len(values)
        values, weights = deduplicated(values)
        facts = value_facts(values, np.asarray(pc.utf8_length(values)))
        present = facts.present()
        whole = np.zeros(len(values), dtype=bool)  # values that validated whole as some entity
        seen = {r.ENTITY: self._update_cells(r, values, weights, facts, present, whole) for r in self.recognizers}
        self._update_shapes(values, weights, facts, whole, seen)
        self._update_text(values, weights, whole, present)

    def _update_shapes(self, values: pa.Array, weights: Weights, facts: ValueFacts, whole: np.ndarray,
                       seen: dict[str, np.ndarray | None]) -> None:
        """Second chance for cells written in another shape (``110105 19600101 0012``, ``+86 138…``, NUL-ended).

        Only cells that validated as nothing, of identifier length, with a
        digit or a non-ASCII character (full-width digits) are normalized
        (detectors/shapes.py), so a clean column pays nothing more. A
        normalized cell counts exactly like a raw one: a format match, a
        validation only if the validator accepts it; a cell that was already
        a format match as written is not counted twice.
        """
        retry = shaped_cells(values, facts, whole)
        if retry is None:
            return
        position = np.flatnonzero(retry)
        subset, sub_weights = values.filter(pa.array(retry)), _kept(weights, retry)
        for shape, form in shaped_forms(subset).items():
            changed = np.asarray(pc.fill_null(pc.not_equal(form, subset), False))
            if not changed.any():
                continue
            form, form_weights, where = form.filter(pa.array(changed)), _kept(sub_weights, changed), position[changed]
            form_facts = value_facts(form, np.asarray(pc.utf8_length(form)))
            found = np.zeros(len(form), dtype=bool)
            for recognizer in self.recognizers:
                if ENTITY_SHAPES.get(recognizer.ENTITY) != shape:
                    continue
                again = self._update_cells(recognizer, form, form_weights, form_facts, form_facts.present(), found)
                before = seen.get(recognizer.ENTITY)
                if again is not None and before is not None:
                    twice = again & before[where]
                    self.evidence[recognizer.ENTITY].candidates -= _total(_kept(form_weights, twice), int(twice.sum()))
            whole[where[found]] = True

    def _update_cells(self, recognizer: PiiRecognizer, values: pa.Array, weights: Weights, facts: ValueFacts,
                      present: np.ndarray, whole: np.ndarray) -> np.ndarray | None:
        """Count format matches and validate them column-wise; mark the valid ones in ``whole`` (not prose).

        Returns which values were format matches (None: none was), so that
        the second chance of other shapes does not count them twice.

        A pattern is not run where it cannot match (detectors/patternfacts.py):
        on a batch without any character every match needs (no ``@``: no
        e-mail), nor on values whose length, first or last character or
        characters rule it out (an e-mail is no ID). Most recognizers then
        skip most columns without an RE2 pass.
        """
        hinted = recognizer.ENTITY in self.hints
        if recognizer.CELLS_NEED_HINT and not hinted:
            return None
        if not may_match(recognizer.cell_needs(hinted), present):
            return None
        fits = may_fit(recognizer.cell_gate(hinted), facts)
        if not fits.any():
            return None
        position = np.flatnonzero(fits)
        if len(position) < len(values):
            values, weights = values.filter(pa.array(fits)), _kept(weights, fits)
        matched = np.asarray(pc.match_substring_regex(values, recognizer.cell_regex(hinted)))
        candidates = values.filter(pa.array(matched))
        if len(candidates) == 0:
            return None
        seen = np.zeros(len(whole), dtype=bool)
        seen[position[matched]] = True
        weights = _kept(weights, matched)
        ev = self.evidence[recognizer.ENTITY]
        ev.candidates += _total(weights, len(candidates))
        ok = np.asarray(recognizer.validate_cells(candidates, hinted), dtype=bool)
        valid = candidates.filter(pa.array(ok))
        if len(valid) == 0:
            return seen
        whole[position[matched][ok]] = True
        ev.validated += _total(_kept(weights, ok), len(valid))
        head = _first_distinct(valid, max(DISTINCT_KEPT - len(ev.distinct), MAX_SAMPLES))
        _add_first(ev.distinct, head, DISTINCT_KEPT)
        room = recognizer.MIN_PREFIXES - len(ev.prefixes)
        if room > 0:
            _add_first(ev.prefixes, _first_distinct(valid, room, recognizer.prefix_array), recognizer.MIN_PREFIXES)
        for value in head.slice(0, MAX_SAMPLES).to_pylist():
            if len(ev.samples) < MAX_SAMPLES and value not in ev.samples:
                ev.samples.append(value)
        return seen

    def _update_text(self, values: pa.Array, weights: Weights, whole: np.ndarray, present: np.ndarray) -> None:
        """Find spans in free-text values: RE2 prefilters pick the candidates (detectors/freetext.py).

        Values that are token-shaped (an ID, a phone) or that validated as a
        whole (a name, an address) are cells, not prose. Each filter runs only
        on what the previous one kept: a column of IDs or phones has no texty
        value and costs one pass (the combined prefilter is slow on long digit
        runs).
        """
        if not may_match(_TEXTY_NEEDS, present):
            return  # no whitespace and no non-ASCII byte: nothing texty
        texty = np.asarray(pc.match_substring_regex(values, TEXTY_RE))
        if not texty.any():
            return
        self.texty += _total(_kept(weights, texty), int(texty.sum()))
        texty &= ~whole  # values that validated whole (names, addresses) are cells, often all of them
        if not texty.any():
            return
        texts, weights = values.filter(pa.array(texty)), _kept(weights, texty)
        for pattern, wanted in ((self._cell_any, False), (self._prefilter_any, True)):
            if len(texts) == 0:
                return
            keep = np.asarray(pc.match_substring_regex(texts, pattern)) == wanted
            texts, weights = texts.filter(pa.array(keep)), _kept(weights, keep)
        if len(texts) == 0:
            return
        if weights is None:
            counts = pc.value_counts(texts)  # chat logs repeat: analyze each distinct text once
            distinct, weights = counts.field("values"), np.asarray(counts.field("counts"), dtype=np.int64)
        else:
            distinct = texts  # already distinct
        prefilter = prefiltered(self.recognizers, distinct, present)
        budget = NameBudget(self.name_analyzed, self.text_skipped, self.name_cap)
        analyze_texts(self.recognizers, self.text, budget, distinct, weights, prefilter)
        self.name_analyzed, self.text_skipped = budget.analyzed, budget.skipped

    def settled(self) -> bool:
        """Whether the rest of a random sample cannot change this column's finding (the early stop).

        Reading on is pointless when no free-text evidence is involved and
        every entity's cell verdict is far from its bars: the validated share
        and the validator's pass rate clear them (or miss them) by a margin
        many standard errors wide at SETTLE_ROWS values, the binomial test is
        far past its threshold, the values are varied enough already, and at
        most one entity wins clearly. The values seen are a uniform random part
        of the sample, so the rest would have to differ wildly to flip it.
        """
        if self.values < SETTLE_ROWS or self.name_analyzed or self.text_skipped:
            return False
        if any(ev.values or ev.prefilter for ev in self.text.values()):
            return False
        winners = []
        for ev in self.evidence.values():
            verdict = _settled_verdict(self, ev)
            if verdict is None:
                return False
            if verdict:
                winners.append(ev.validated / self.values)
        winners.sort(reverse=True)
        return len(winners) < 2 or winners[0] - winners[1] >= SETTLED_MARGIN

    def result(self) -> ColumnFinding:
        """The column's finding (samples masked); ``to_json()`` is its findings.json entry."""
        return decide(self)

    def state(self) -> dict[str, Any]:
        """The accumulated evidence as plain, picklable data (no recognizers, no analyzer).

        Another process (a Spark executor, a worker) profiles part of a column
        and ships this; the receiver rebuilds it with from_state and merges.
        """
        return {
            "values": self.values, "placeholders": self.placeholders, "texty": self.texty,
            "name_analyzed": self.name_analyzed,
            "text_skipped": self.text_skipped,
            "evidence": {e: (ev.candidates, ev.validated, ev.distinct, ev.prefixes, ev.samples)
                         for e, ev in self.evidence.items() if ev.candidates},
            "text": {e: (ev.values, ev.prefilter, ev.score_sum, ev.with_context, ev.distinct, ev.samples)
                     for e, ev in self.text.items() if ev.values or ev.prefilter},
        }

    @classmethod
    def from_state(cls, name: str, comment: str | None, state: dict[str, Any],
                   recognizers: list[PiiRecognizer] | None = None) -> ColumnProfile:
        """A profile holding a state from ``state()``, ready to merge."""
        profile = cls(name, comment, recognizers=recognizers)
        profile.values, profile.texty = state["values"], state["texty"]
        profile.placeholders = state.get("placeholders", 0)
        profile.name_analyzed, profile.text_skipped = state["name_analyzed"], state["text_skipped"]
        for entity, (cand, valid, distinct, prefixes, samples) in state["evidence"].items():
            profile.evidence[entity] = EntityEvidence(entity, cand, valid, set(distinct), set(prefixes), list(samples))
        for entity, (values, prefilter, score, context, distinct, samples) in state["text"].items():
            profile.text[entity] = TextEvidence(entity, values, prefilter, score, context, set(distinct),
                                                list(samples))
        return profile

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """Fold another profile of the same column (another partition's rows) into this one.

        Spark profiles each partition on its own executor and the driver
        merges: counts add, distinct values and prefixes union up to their
        caps (DISTINCT_KEPT, MIN_PREFIXES), samples keep this profile's first and then the other's
        (so merging in partition order gives the samples a single pass would
        keep). Text evidence merges the same way. The name cap (NAME_CAP) is
        applied per partition, so a merged profile may have analyzed up to
        NAME_CAP texts per partition for names. Returns ``self``.
        """
        if other.name != self.name:
            raise ValueError("profiles of different columns cannot be merged")
        self.values += other.values
        self.placeholders += other.placeholders
        self.texty += other.texty
        self.name_analyzed += other.name_analyzed
        self.text_skipped += other.text_skipped
        for entity, theirs in other.evidence.items():
            mine = self.evidence.setdefault(entity, EntityEvidence(entity))
            mine.candidates += theirs.candidates
            mine.validated += theirs.validated
            self._merge_distinct(entity, mine, theirs)
            _merge_samples(mine.samples, theirs.samples)
        for entity, text_theirs in other.text.items():
            text_mine = self.text.setdefault(entity, TextEvidence(entity))
            text_mine.values += text_theirs.values
            text_mine.prefilter += text_theirs.prefilter
            text_mine.score_sum += text_theirs.score_sum
            text_mine.with_context += text_theirs.with_context
            _union_capped(text_mine.distinct, text_theirs.distinct, DISTINCT_KEPT)
            _merge_samples(text_mine.samples, text_theirs.samples)
        return self

    def _merge_distinct(self, entity: str, mine: EntityEvidence, theirs: EntityEvidence) -> None:
        """Union of distinct values and of prefixes, each capped as update() caps them."""
        _union_capped(mine.distinct, theirs.distinct, DISTINCT_KEPT)
        _union_capped(mine.prefixes, theirs.prefixes, _recognizer(self, entity).MIN_PREFIXES)


def _first_distinct(values: pa.Array, k: int, key: Callable[[pa.Array], pa.Array] | None = None) -> pa.Array:
    """The first ``k`` distinct values (of ``key(values)``) in order of first occurrence, or all if fewer.

    The evidence keeps only a few distinct values, so hashing a whole batch
    for them is wasted: growing heads of the batch are tried first.
    """
    size = max(4 * k, 64)
    while True:
        head = values.slice(0, size)
        found = pc.unique(key(head) if key else head)
        if len(found) >= k or size >= len(values):
            return found
        size *= 8


def _add_first(kept: set[str], values: pa.Array, cap: int) -> None:
    """Keep the first of ``values`` (in order) until ``cap`` are kept."""
    room = cap - len(kept)
    if room > 0:
        kept.update(values.slice(0, room).to_pylist())


def _union_capped(mine: set[str], theirs: set[str], cap: int) -> None:
    """Add the other set's new values to ``mine`` up to ``cap`` (sorted, so the cut is deterministic)."""
    room = cap - len(mine)
    if room > 0:
        mine.update(sorted(theirs - mine)[:room])


def _merge_samples(mine: list[str], theirs: list[str]) -> None:
    """Append the other profile's samples that are new, up to MAX_SAMPLES."""
    for value in theirs:
        if len(mine) >= MAX_SAMPLES:
            break
        if value not in mine:
            mine.append(value)


def _recognizer(profile: ColumnProfile, entity: str) -> PiiRecognizer:
    return next(r for r in profile.recognizers if r.ENTITY == entity)


def cell_verdict(profile: ColumnProfile, ev: EntityEvidence) -> tuple[bool, float]:
    """Whether the column's cells are this entity, and how confident that is."""
    n = profile.values
    if n == 0 or ev.validated == 0:
        return False, 0.0
    recognizer = _recognizer(profile, ev.entity)
    chance = recognizer.CHANCE
    hint = profile.hints.get(ev.entity, 0.0)
    if recognizer.NEEDS_HINT and not hint and not recognizer.values_speak(ev.distinct):
        return False, 0.0
    hit = ev.validated / n
    pass_rate = ev.validated / ev.candidates
    margin = PASS_MARGIN_WITH_HINT if hint else PASS_MARGIN_NO_HINT
    min_hit = MIN_HIT_WITH_HINT if hint else MIN_HIT_NO_HINT
    if hit < min_hit or pass_rate < chance + margin * (1 - chance):
        return False, 0.0
    if binomial_tail(ev.validated, ev.candidates, chance) > MAX_P_VALUE and hint < 1.0:
        return False, 0.0
    min_distinct = recognizer.MIN_DISTINCT if not hint else recognizer.MIN_DISTINCT / 3
    if not _diverse(ev, min_distinct, 0 if hint else recognizer.MIN_PREFIXES):
        return False, 0.0
    confidence = 0.45 + 0.4 * hit + 0.1 * hint + 0.05 * pass_rate
    if not hint and chance >= 0.3:
        confidence -= 0.1  # weak validator, no header: say so
    return True, round(min(0.99, max(0.05, confidence)), 2)


def _settled_verdict(profile: ColumnProfile, ev: EntityEvidence) -> bool | None:
    """An entity's cell verdict when more values cannot change it, else None (see ColumnProfile.settled)."""
    if ev.validated == 0:
        return False
    recognizer = _recognizer(profile, ev.entity)
    hint = profile.hints.get(ev.entity, 0.0)
    if recognizer.NEEDS_HINT and not hint and not recognizer.values_speak(ev.distinct):
        return False
    hit, pass_rate = ev.validated / profile.values, ev.validated / ev.candidates
    min_hit = MIN_HIT_WITH_HINT if hint else MIN_HIT_NO_HINT
    need = recognizer.CHANCE + (PASS_MARGIN_WITH_HINT if hint else PASS_MARGIN_NO_HINT) * (1 - recognizer.CHANCE)
    if hit < min_hit - SETTLED_MARGIN or pass_rate < need - SETTLED_MARGIN / 2:
        return False
    if hit < min_hit + SETTLED_MARGIN or pass_rate < need + SETTLED_MARGIN / 2:
        return None
    if binomial_tail(ev.validated, ev.candidates, recognizer.CHANCE) > MAX_P_VALUE * 1e-3 and hint < 1.0:
        return None
    min_distinct = recognizer.MIN_DISTINCT if not hint else recognizer.MIN_DISTINCT / 3
    return True if _diverse(ev, min_distinct, 0 if hint else recognizer.MIN_PREFIXES) else None


def _diverse(ev: EntityEvidence, min_distinct: float, min_prefixes: int) -> bool:
    """Values that look like real people's data, not one repeated code or one number range.

    Only matters for weak validators: sequential order numbers starting
    13800000000... pass the mobile check but share one prefix.
    """
    if ev.validated < 10:
        return True
    if len(ev.distinct) < min(min_distinct * min(ev.validated, MAX_DISTINCT), DISTINCT_ENOUGH):
        return False
    return not (ev.validated >= 30 and len(ev.prefixes) < min_prefixes)


def text_verdict(profile: ColumnProfile, ev: TextEvidence) -> bool:
    """Whether spans found in free text are more than chance passes of the validator.

    The trials are the values where the entity's span pattern matched at all;
    a log full of 16-digit trace ids passes Luhn one time in ten and is not a
    card column. Few hits are kept when chance cannot explain them, or when
    the text around them names the entity (卡号, 手机号, email ...).
    """
    if ev.values == 0:
        return False
    recognizer = _recognizer(profile, ev.entity)
    chance = recognizer.CHANCE
    trials = max(ev.prefilter, ev.values)
    if recognizer.NEEDS_HINT and ev.with_context * 2 < ev.values and not profile.hints.get(ev.entity):
        return False
    if ev.values / trials < chance + 0.5 * (1 - chance):
        return False
    if ev.entity == NAME and not _names_beyond_noise(profile, ev):
        return False
    if ev.values >= 10 and len(ev.distinct) < min(recognizer.MIN_DISTINCT * min(ev.values, MAX_DISTINCT),
                                                  DISTINCT_ENOUGH):
        return False  # the same few strings over and over: a code list, not people's data
    if binomial_tail(ev.values, trials, chance) <= 0.01:
        return True
    return ev.with_context * 2 >= ev.values


def _names_beyond_noise(profile: ColumnProfile, ev: TextEvidence) -> bool:
    """Whether a column's name spans are more than the span finder's own mistakes, or said to be names.

    The trials above count texts where the English name pattern matched; a
    Chinese span has no such pattern, so its pass rate says nothing. What
    does is how many of the texts analyzed for names (profile.name_analyzed)
    hold one, against the rate at which texts without a name get a span
    (NAME_SPAN_NOISE): a column of short place or company names yields a few.
    """
    analyzed = max(profile.name_analyzed, ev.values)
    if binomial_tail(ev.values, analyzed, NAME_SPAN_NOISE) <= 0.01:
        return True
    return ev.with_context * 2 >= ev.values


def decide(profile: ColumnProfile) -> ColumnFinding:
    """Combine cell evidence, free-text evidence and header hints into a column finding.

    Cell evidence (the column's values are the entity) wins; free-text
    evidence (sentences hold it) fills in the rest and decides only when no
    cell entity does.
    """
    entities, samples, primary, confidence = _cell_entities(profile)
    from_cells = primary is not None
    text_primary, text_confidence, text_samples = _text_entities(profile, entities)
    if not from_cells and text_primary is not None:
        primary, confidence, samples = text_primary, text_confidence, text_samples
    if from_cells:
        level = level_of(primary, _first_sample(profile, primary)) if primary else 0
    else:  # free text (or nothing): the highest level among its entities
        level = max((level_of(row.entity, _first_sample(profile, row.entity)) for row in entities), default=0)
    return ColumnFinding(
        name=profile.name,
        primary_entity=primary,
        level=level,
        category=category_of(primary),
        confidence=confidence if confidence is not None else _clean_confidence(profile),
        entities=tuple(entities),
        samples_masked=tuple(samples),
        free_text=bool(primary is not None and not from_cells),
        evidence=_evidence(profile),
        pipl_sensitive=holds_pipl_sensitive(primary, [row.entity for row in entities]),
    )


def _cell_entities(profile: ColumnProfile) -> tuple[list[EntityEvidenceRow], list[str], str | None, float | None]:
    """Entities the cells validate as, strongest first: (rows, masked samples, primary, its confidence)."""
    n = profile.values
    cell_hits: list[tuple[float, int, str, float]] = []
    for entity, ev in profile.evidence.items():
        ok, conf = cell_verdict(profile, ev)
        if ok:
            cell_hits.append((ev.validated / n, level_of(entity), entity, conf))
    if not cell_hits:
        return [], [], None, None
    cell_hits = _outranked_dropped(profile, cell_hits)
    cell_hits.sort(reverse=True)
    rows = []
    for hit, _level, entity, conf in cell_hits:
        ev = profile.evidence[entity]
        rows.append(_entity_row(entity, hit, ev.validated, conf, profile, ev.candidates))
    primary, confidence = cell_hits[0][2], cell_hits[0][3]
    return rows, [mask_value(primary, s) for s in profile.evidence[primary].samples], primary, confidence


# Share of an outranked entity's validated cells the outranking one must explain to drop it.
OUTRANK_SHARE = 0.8


def _outranked_dropped(profile: ColumnProfile,
                       hits: list[tuple[float, int, str, float]]) -> list[tuple[float, int, str, float]]:
    """The cell verdicts without those another found entity outranks on the same cells (``OUTRANKS``).

    A column of IMEIs passes Luhn as cards do; the card reading would win on
    level and mark the column as bank cards. When the more specific entity
    validates most of what the other validated, the other is not reported.
    """
    found = {entity for _hit, _level, entity, _conf in hits}
    drop = set()
    for entity in found:
        for other in _recognizer(profile, entity).OUTRANKS:
            if other in found and (profile.evidence[entity].validated
                                   >= OUTRANK_SHARE * profile.evidence[other].validated):
                drop.add(other)
    return [hit for hit in hits if hit[2] not in drop]


def _text_entities(profile: ColumnProfile,
                   rows: list[EntityEvidenceRow]) -> tuple[str | None, float | None, list[str]]:
    """Add the free-text entities not already found in cells to ``rows``; return the free-text primary.

    The primary, its confidence and samples matter only for a column no cell entity claims.
    """
    text_found = [ev for ev in _text_evidence(profile) if text_verdict(profile, ev)]
    if not text_found or not profile.values:
        return None, None, []
    text_found.sort(key=lambda ev: (-_text_hit_ratio(profile, ev), -level_of(ev.entity)))
    for text_ev in text_found:
        if any(row.entity == text_ev.entity for row in rows):
            continue
        conf = round(min(0.99, text_ev.score_sum / text_ev.values), 2)
        rows.append(_entity_row(text_ev.entity, _text_hit_ratio(profile, text_ev), text_ev.values, conf, profile,
                                text_ev.prefilter))
    top = text_found[0]
    samples = [mask_value(ev.entity, s) for ev in text_found for s in ev.samples][:MAX_SAMPLES]
    return top.entity, round(min(0.99, top.score_sum / top.values), 2), samples


def _text_evidence(profile: ColumnProfile) -> list[TextEvidence]:
    """Each entity's free-text evidence, with its whole-cell hits when those are prose (PROSE_CELLS).

    A message such as ``寄到吉林省西宁市黄浦田街U座 795156`` validates whole
    as an address, so it is a cell, not a text; when too few cells validate
    for the column to be an address column, those values are still
    addresses written in the column's prose and count as such.
    """
    out = []
    for entity, ev in profile.text.items():
        cell = profile.evidence.get(entity)
        if cell is not None and cell.validated and _recognizer(profile, entity).PROSE_CELLS \
                and not cell_verdict(profile, cell)[0]:
            strength = _recognizer(profile, entity).STRENGTH
            ev = TextEvidence(entity, ev.values + cell.validated, ev.prefilter + cell.candidates,
                              ev.score_sum + strength * cell.validated, ev.with_context, ev.distinct | cell.distinct,
                              (ev.samples + [s for s in cell.samples if s not in ev.samples])[:MAX_SAMPLES])
        out.append(ev)
    return out


def _text_hit_ratio(profile: ColumnProfile, ev: TextEvidence) -> float:
    """Share of values holding the entity; names are counted over the texts analyzed (NAME_CAP)."""
    denominator = profile.values - (profile.text_skipped if ev.entity == NAME else 0)
    return ev.values / max(1, denominator)


def _first_sample(profile: ColumnProfile, entity: str) -> str | None:
    samples = profile.evidence[entity].samples or profile.text[entity].samples
    return samples[0] if samples else None


def _entity_row(entity: str, hit: float, matches: int, confidence: float,
                profile: ColumnProfile, candidates: int) -> EntityEvidenceRow:
    return EntityEvidenceRow(
        entity=entity,
        hit_ratio=round(min(1.0, hit), 4),
        matches=int(matches),
        confidence=confidence,
        validator_pass_rate=round(matches / candidates, 4) if candidates else None,
        header_hint=profile.hints.get(entity, 0.0),
    )


def _clean_confidence(profile: ColumnProfile) -> float:
    """Confidence that a column with no finding is clean: lower when the header says otherwise."""
    if profile.values == 0:
        return 0.5
    return 0.6 if profile.hints else 0.9


def _evidence(profile: ColumnProfile) -> ColumnEvidence:
    """The numbers behind the decision, so a reviewer can see why (no values)."""
    return ColumnEvidence(
        values=profile.values,
        header_hints=dict(profile.hints),
        texty_ratio=round(profile.texty / profile.values, 4) if profile.values else 0.0,
        early_stop=profile.stopped_early,
        cells={
            e: CellCounts(format_matches=ev.candidates, validated=ev.validated)
            for e, ev in profile.evidence.items()
            if ev.candidates
        },
    )

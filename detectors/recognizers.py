"""The Presidio recognizer base every entity's recognizer derives from.

Each entity's recognizer lives in its own file (detectors/entities/<entity>.py)
and derives from ``PiiRecognizer`` here; the entity registry lists them
(``registry.recognizer_classes()``, ``registry.recognizers_for()``). This
module reads no registry: entity files import it, and the registry imports
the entity files, so dependencies point one way.

Each recognizer carries three views of one entity, so a column scan and a
free-text scan can never disagree about what counts:

* ``patterns``: Presidio ``Pattern`` objects for finding spans in free text
  (Python ``regex`` syntax, lookarounds allowed);
* ``CELL_REGEX``: an RE2 pattern matching a whole cell, used by pyarrow to
  pick candidates in a column without calling Python per value;
* ``TEXT_PREFILTER``: an RE2 pattern that any text holding a span must match,
  so spans are only looked for in candidate values;

and one validator (``validate_value``) used by all of them. ``analyze`` is
Presidio's per-text entry point; ``analyze_batch`` gives the same spans for
many texts at once (one regex pass per pattern, column-wise validation). ``CHANCE`` is the
rate at which a random value that matches ``CELL_REGEX`` passes the validator
(Luhn passes 1 in 10 by chance): column decisions compare hit rates with it.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from detectors.batchspans import Joined, Matches, drop_contained, find_all
from detectors.patternfacts import Alternative, pattern_needs, value_gate

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

# Characters before a span searched for a context word (NEEDS_HINT entities in free text).
CONTEXT_WINDOW = 24


class PiiRecognizer(PatternRecognizer):
    """A pattern recognizer with a validator, a cell pattern and a chance rate."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[tuple[str, str, float]]]
    CELL_REGEX: ClassVar[str]
    TEXT_PREFILTER: ClassVar[str]
    CONTEXT: ClassVar[list[str]] = []
    CHANCE: ClassVar[float] = 0.05
    # Score of a validated span; ranks overlapping spans (an ID beats a Luhn-valid card).
    STRENGTH: ClassVar[float] = 1.0
    # Formats common outside this entity (E12345678, any date): a column needs a
    # header/comment hint, a free-text span a context word nearby.
    NEEDS_HINT: ClassVar[bool] = False
    # Cells are not even looked at without a header/comment hint: vocabulary entities (民族, 宗教,
    # 诊断, 月薪) whose values are common words or plain amounts, where counting format matches in
    # every unrelated column would cost a pass each and say nothing.
    CELLS_NEED_HINT: ClassVar[bool] = False
    # Entities whose validator also accepts this entity's values (every IMEI passes a card's Luhn
    # check): where this entity explains most of their validated cells, the column is not them too.
    OUTRANKS: ClassVar[tuple[str, ...]] = ()
    # Wider cell pattern used only when the header names the entity (bare 9-digit SSNs).
    HINTED_CELL_REGEX: ClassVar[str | None] = None
    # Share of distinct values among validated ones below which a column is a code list, not people.
    MIN_DISTINCT: ClassVar[float] = 0.1
    # Whether a whole-cell match means "a structured value, not prose" (IDs, phones: yes;
    # names and addresses: a short message can look like one, so no).
    CELL_IS_TOKEN: ClassVar[bool] = True
    # Distinct leading digits a column of this entity shows (real mobiles spread over
    # many 1xx prefixes; sequential order numbers do not). 0 = no such check.
    MIN_PREFIXES: ClassVar[int] = 0
    # Whether a value that validates whole may be a sentence holding the entity (寄到吉林省…街U座): when
    # too few cells validate for a column verdict, they still count as free-text findings.
    PROSE_CELLS: ClassVar[bool] = False
    patterns: list[Pattern]  # set by Presidio's PatternRecognizer.__init__ (unannotated there)

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name=f"{type(self).__name__}_{supported_language}",
            supported_language=supported_language,
            patterns=[Pattern(name, regex, score) for name, regex, score in self.PATTERNS],
            context=list(self.CONTEXT),
        )

    @staticmethod
    def validate_value(value: str) -> bool:  # pragma: no cover - abstract
        """Whether one candidate string is a real identifier."""
        raise NotImplementedError

    @staticmethod
    def prefix(value: str) -> str:
        """The part of a value whose spread MIN_PREFIXES measures."""
        return value[:3]

    def validate_values(self, values: list[str]) -> list[bool]:
        """Validate many candidates at once; recognizers with a batch validator (cpca) override it."""
        return [self.validate_value(v) for v in values]

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Validity of every value of an Arrow array, as a boolean mask.

        The default validates each distinct value once in Python and maps the
        answer back; recognizers with a vectorized check (checksums, RE2) override it.
        """
        distinct = pc.unique(values)
        ok = self.validate_values(distinct.to_pylist())
        valid = distinct.filter(pa.array(ok, type=pa.bool_()))
        return np.asarray(pc.fill_null(pc.is_in(values, value_set=valid), False))

    def validate_cells(self, values: pa.Array, hinted: bool) -> np.ndarray:
        """Validity of whole cells matched by ``cell_regex(hinted)``.

        The same as validate_array unless an entity's unhinted cell pattern
        admits values its validator is too lenient for without a header (a
        password-shaped cell needs more than "not a hash").
        """
        return self.validate_array(values)

    def values_speak(self, distinct: set[str]) -> bool:
        """Whether a column's validated values show the entity without a header (NEEDS_HINT entities).

        Any single date or E-number could be something else, but a column's
        spread of them can say what it is (birth dates span lifetimes; order
        dates a few years). ``distinct`` holds the first validated distinct
        values (DISTINCT_KEPT). The default: the values never speak alone.
        """
        return False

    def prefix_array(self, values: pa.Array) -> pa.Array:
        """prefix() of every value, vectorized (MIN_PREFIXES spread)."""
        return pc.utf8_slice_codeunits(values, 0, 3)

    def cell_regex(self, hinted: bool) -> str:
        """The RE2 cell pattern to use for a column, wider when its header names the entity."""
        return self.HINTED_CELL_REGEX if hinted and self.HINTED_CELL_REGEX else self.CELL_REGEX

    def cell_gate(self, hinted: bool) -> tuple[Alternative, ...] | None:
        """Per-value conditions for the cell pattern to match (length, first/last character, alphabet)."""
        return value_gate(self.cell_regex(hinted))

    def cell_needs(self, hinted: bool) -> frozenset[str] | None:
        """Characters of which a value must hold one to match the cell pattern; None: no such set."""
        return pattern_needs(self.cell_regex(hinted))

    def compiled_patterns(self) -> list[regex.Pattern]:
        """The span patterns compiled as Presidio compiles them (its global regex flags)."""
        if not hasattr(self, "_compiled"):
            self._compiled = [regex.compile(p.regex, self.global_regex_flags) for p in self.patterns]
        return self._compiled

    def has_pattern_match(self, text: str) -> bool:
        """Whether any span pattern matches, validated or not: the trials of the chance test."""
        return any(c.search(text) for c in self.compiled_patterns())

    def has_context(self, text: str) -> bool:
        """Whether a context word (卡号, mobile, ...) appears in the text."""
        lowered = text.lower()
        return any(word.lower() in lowered for word in self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Presidio hook: a span that fails the validator is discarded."""
        return self.validate_value(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None) -> list[RecognizerResult]:
        """Presidio's pattern analysis, with validated spans scored by this entity's strength.

        For NEEDS_HINT entities a span needs a context word near it (出生, 护照,
        passport ...): a log line's timestamp is not a birth date.
        """
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if self.NEEDS_HINT:
            results = [r for r in results if self.has_context_near(text, r.start, r.end)]
        for result in results:
            result.score = min(result.score, self.STRENGTH)
            result.start, result.end = self.trim_span(text, result.start, result.end)
        return results

    def has_context_near(self, text: str, start: int, end: int) -> bool:
        """Whether a context word stands just before (or right after) a span: NEEDS_HINT entities."""
        return self.has_context(text[max(0, start - CONTEXT_WINDOW) : end + 8])

    def trim_span(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Where a matched span really starts and ends; most patterns match exactly the value."""
        return start, end

    def analyze_batch(self, texts: list[str], within: Joined | None = None) -> tuple[Matches, Matches]:
        """``analyze`` over many texts at once: (every pattern match, the spans analyze would return).

        Each pattern runs once over all texts (detectors/batchspans.py), the
        matched strings are validated column-wise (``validate_array``), and
        Python touches only texts with several spans or spans to trim or to
        check for context. Returned spans score ``STRENGTH``, as validated
        spans do in ``analyze``, and are deduplicated as Presidio's engine does.
        """
        raw = find_all(self.compiled_patterns(), texts, within)
        if not len(raw):
            return raw, raw
        pieces = pa.array([texts[i][s:e] for i, s, e in zip(raw.text.tolist(), raw.start.tolist(),
                                                              raw.end.tolist())], type=pa.string())
        valid = raw.take(np.asarray(self.validate_array(pieces), dtype=bool))
        if not len(valid):
            return raw, valid
        plain = type(self).trim_span is PiiRecognizer.trim_span and not self.NEEDS_HINT
        counts = np.bincount(valid.text, minlength=len(texts))
        fix = (counts[valid.text] > 1) if plain else np.ones(len(valid), dtype=bool)
        if not fix.any():
            return raw, valid
        done = valid.take(~fix)
        rows = [(i, s, e) for i, spans in _group(valid.take(fix)) for s, e in self._refine(texts[i], spans)]
        if rows:
            extra = np.asarray(rows, dtype=np.int64)
            done = Matches(np.concatenate([done.text, extra[:, 0]]), np.concatenate([done.start, extra[:, 1]]),
                           np.concatenate([done.end, extra[:, 2]]))
        return raw, done.take(np.lexsort((done.start, done.text)))

    def _refine(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """One text's validated spans as analyze and the engine leave them (dedup, context, trim, dedup)."""
        spans = drop_contained(spans)
        if self.NEEDS_HINT:
            spans = [(s, e) for s, e in spans if self.has_context_near(text, s, e)]
        return drop_contained([self.trim_span(text, s, e) for s, e in spans])


def _group(found: Matches):
    """(text index, [(start, end), ...]) for each text with matches, in text order."""
    texts, starts, ends = found.text.tolist(), found.start.tolist(), found.end.tolist()
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and texts[j] == texts[i]:
            j += 1
        yield texts[i], list(zip(starts[i:j], ends[i:j]))
        i = j


class TextRecognizer(EntityRecognizer):
    """A free-text-only recognizer (jieba's Chinese names) that needs no NLP artifacts.

    Presidio's analyzer hands every recognizer spaCy's artifacts; these
    tokenize for themselves, so they also run outside an analyzer, with
    none: the warm-up calls ``analyze`` directly to load their tables.
    """

    @abstractmethod
    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        """Spans of the entities asked for; ``nlp_artifacts`` may be None (they are not read)."""

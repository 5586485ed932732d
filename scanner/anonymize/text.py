"""Free text rewritten span by span: piiwarden's Presidio recognizers find the spans, operators rewrite them.

Only the sensitive spans change; the sentence around them stays byte for
byte. Each distinct text is analyzed once (logs repeat themselves), and a
cheap RE2 prefilter built from the recognizers' own ``TEXT_PREFILTER``
patterns keeps texts with no candidate away from the analyzer. If some
recognizer has no prefilter (e.g. an NER-based one), every text is analyzed.

Arrays go the batch way (detectors/freetext.find_spans: each pattern once
over all texts, Presidio's analyzer only for names and NER), giving the spans
``AnalyzerEngine.analyze`` gives text by text. A text with one span gets
that span's operator output spliced in; texts with several go through
Presidio's AnonymizerEngine, which also settles adjacent spans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from presidio_analyzer import RecognizerResult

from detectors.entities.registry import recognizer_classes
from detectors.freetext import find_spans, language_of
from scanner.anonymize.operators.anonymizer import anonymizer_engine, operator_config
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.rules import Rule


@dataclass
class SpanStats:
    """What a rewrite changed: spans per entity and values touched."""

    spans: int = 0
    values_changed: int = 0
    by_entity: dict[str, int] | None = None

    def add(self, entity: str) -> None:
        self.spans += 1
        if self.by_entity is None:
            self.by_entity = {}
        self.by_entity[entity] = self.by_entity.get(entity, 0) + 1


def _prefilter() -> str | None:
    """One RE2 alternation of every registered recognizer's TEXT_PREFILTER, or None."""
    from detectors.engine import get_analyzer  # spaCy: only when texts are rewritten, not on import

    patterns = []
    for recognizer in get_analyzer().registry.recognizers:
        pattern = getattr(recognizer, "TEXT_PREFILTER", None)
        if not pattern:
            return None
        patterns.append(f"(?:{pattern})")
    return "|".join(sorted(set(patterns))) or None


def _strongest(spans: list) -> list:
    """Non-overlapping spans, strongest first (an ID beats the Luhn-valid card inside it)."""
    kept: list = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start, -(s.end - s.start))):
        if not any(span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


class TextRewriter:
    """Rewrites texts with one rule per entity (or one rule for every span)."""

    def __init__(self, rule_for: Callable[[str], Rule], ctx: OpContext) -> None:
        self.rule_for = rule_for
        self.ctx = ctx
        from detectors.engine import get_analyzer  # spaCy: only when texts are rewritten, not on import

        self.analyzer = get_analyzer()
        self.recognizers = [cls() for cls in recognizer_classes()]
        self.engine = anonymizer_engine()
        self.prefilter = _prefilter()
        self.stats = SpanStats()

    def rewrite(self, text: str) -> str:
        """One text with every detected span replaced by its rule's output, all through Presidio's engines.

        The per-text form: what ``rewrite_array``'s batch path must equal
        (tests/test_anonymize_ops.py compares them), handy for a single value.
        """
        spans = _strongest(self.analyzer.analyze(text, language=language_of(text)))
        if not spans:
            return text
        operators = {}
        for span in spans:
            self.stats.add(span.entity_type)
            operators[span.entity_type] = operator_config(self.rule_for(span.entity_type), self.ctx)
        return self.engine.anonymize(text=text, analyzer_results=spans, operators=operators).text

    def rewrite_array(self, values: pa.Array) -> pa.Array:
        """A string array (no nulls) rewritten; texts without candidates are not analyzed."""
        if len(values) == 0:
            return values
        if self.prefilter is not None:
            candidate = pc.fill_null(pc.match_substring_regex(values, self.prefilter), False)
            if not pc.any(candidate).as_py():
                return values
            out = pc.replace_with_mask(values, candidate, self._rewrite_distinct(values.filter(candidate)))
        else:
            out = self._rewrite_distinct(values)
        self.stats.values_changed += pc.sum(pc.not_equal(out, values)).as_py() or 0
        return out

    def _rewrite_distinct(self, values: pa.Array) -> pa.Array:
        """Each distinct text rewritten once, spans found for all of them together."""
        encoded = pc.dictionary_encode(values)
        distinct = encoded.dictionary
        texts = distinct.to_pylist()
        found = find_spans(self.recognizers, distinct, texts)
        rewritten = [self._apply_spans(text, spans) if spans else text for text, spans in zip(texts, found)]
        return pa.array(rewritten, type=pa.string()).take(encoded.indices)

    def _apply_spans(self, text: str, found: list[tuple[str, int, int, float]]) -> str:
        """One text with its strongest non-overlapping spans rewritten."""
        spans = _strongest([RecognizerResult(entity, start, end, score) for entity, start, end, score in found])
        for span in spans:
            self.stats.add(span.entity_type)
        if len(spans) == 1:  # what the engine does for one span, without its per-call bookkeeping
            span = spans[0]
            piece = self.rule_for(span.entity_type).apply_value(span.entity_type, text[span.start : span.end],
                                                                self.ctx)
            return text[: span.start] + piece + text[span.end :]
        operators = {span.entity_type: operator_config(self.rule_for(span.entity_type), self.ctx) for span in spans}
        return self.engine.anonymize(text=text, analyzer_results=spans, operators=operators).text

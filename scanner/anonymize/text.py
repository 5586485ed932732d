"""Free text rewritten span by span: Presidio finds the spans, Presidio rewrites them.

Only the sensitive spans change; the sentence around them stays byte for
byte. Each distinct text is analyzed once (logs repeat themselves), and a
cheap RE2 prefilter built from the recognizers' own ``TEXT_PREFILTER``
patterns keeps texts with no candidate away from the analyzer. If some
recognizer has no prefilter (e.g. an NER-based one), every text is analyzed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from detectors.engine import get_analyzer
from scanner.anonymize.masks import map_distinct
from scanner.anonymize.operators import OpContext, anonymizer_engine, operator_config
from scanner.anonymize.rules import Rule

_HAN = re.compile(r"[\u3400-\u9fff]")


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
        self.analyzer = get_analyzer()
        self.engine = anonymizer_engine()
        self.prefilter = _prefilter()
        self.stats = SpanStats()

    def rewrite(self, text: str) -> str:
        """One text with every detected span replaced by its rule's output."""
        lang = "zh" if _HAN.search(text) else "en"
        spans = _strongest(self.analyzer.analyze(text, language=lang))
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
            rewritten = map_distinct(values.filter(candidate), self.rewrite)
            out = pc.replace_with_mask(values, candidate, rewritten)
        else:
            out = map_distinct(values, self.rewrite)
        self.stats.values_changed += pc.sum(pc.not_equal(out, values)).as_py() or 0
        return out

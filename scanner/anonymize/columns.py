"""Column-wise transformation of one Arrow column by one rule.

Structured columns: cells that match the entity's whole-cell pattern are
transformed by pyarrow compute (mask, redact) or once per distinct value
(hash, fpe, pseudonym, generalize: dictionary encoding, then a vectorized
gather); encrypt runs per cell (a fresh nonce each). Null and empty cells stay
exactly as they are. Cells off the pattern in a structured column are judged
one distinct value at a time (``shapes.judge``): the entity in another shape
(spaces, full-width digits, +86, a label) is transformed on its normalized
form; only placeholders and text holding no entity stay. Lists (JSON
arrays) are transformed element-wise with their offsets kept; non-string columns are transformed as text and cast back
to their type when the result still fits (an FPE'd integer), else they become
strings and the type change is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.entities.registry import recognizer_classes
from scanner.anonymize.operators.base import ReversibleOperator
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.rules import Rule
from scanner.anonymize.shapes import identifier_like, judge
from scanner.anonymize.text import TextRewriter


def cell_patterns() -> dict[str, str]:
    """Whole-cell RE2 patterns per entity, from the registered entities' recognizers."""
    return {cls.ENTITY: cls.CELL_REGEX for cls in recognizer_classes() if cls.CELL_REGEX}


@dataclass
class ColumnStats:
    """Counts recorded in anonymization.json for one column."""

    values_changed: int = 0
    values_unchanged: int = 0  # non-empty cells left alone (not sensitive)
    empty: int = 0
    spans: int = 0
    spans_by_entity: dict[str, int] = field(default_factory=dict)
    type_changed: str | None = None
    other_shapes: int = 0  # cells off the canonical pattern that were the entity, transformed
    unchanged_reasons: dict[str, int] = field(default_factory=dict)  # why non-empty cells stayed (counts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"values_changed": self.values_changed, "values_unchanged": self.values_unchanged,
               "empty": self.empty}
        if self.spans:
            out["spans"] = self.spans
            out["spans_by_entity"] = dict(sorted(self.spans_by_entity.items()))
        if self.type_changed:
            out["type_changed"] = self.type_changed
        if self.other_shapes:
            out["values_other_shape"] = self.other_shapes
        if self.unchanged_reasons:
            out["unchanged_reasons"] = dict(sorted(self.unchanged_reasons.items()))
        return out


class ColumnTransformer:
    """Applies one column's rule to its batches and counts what changed."""

    def __init__(self, entity: str | None, rule: Rule, free_text: bool, ctx: OpContext,
                 span_rule: Callable[[str], Rule], cell_pattern: str | None) -> None:
        self.entity = entity
        self.rule = rule
        self.operator = rule.operator
        self.free_text = free_text
        self.ctx = ctx
        self.cell_pattern = cell_pattern
        self.span_rule = span_rule
        self._rewriter: TextRewriter | None = None
        self.stats = ColumnStats()

    @property
    def rewriter(self) -> TextRewriter:
        """The free-text path, built on first use (the analyzer is costly to load)."""
        if self._rewriter is None:
            self._rewriter = TextRewriter(self.span_rule, self.ctx)
        return self._rewriter

    def transform(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The column's new values (same length, same order)."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            return self._transform_list(column)
        return self._transform_typed(column)

    def _transform_list(self, column: pa.Array) -> pa.Array:
        offsets = column.offsets
        start = offsets[0].as_py()
        flat = column.values.slice(start, offsets[-1].as_py() - start)
        new_flat = self._transform_typed(flat)
        new_offsets = pc.subtract(offsets, pa.scalar(start, offsets.type))
        cls = pa.LargeListArray if pa.types.is_large_list(column.type) else pa.ListArray
        return cls.from_arrays(new_offsets, new_flat, mask=column.is_null() if column.null_count else None)

    def _transform_typed(self, column: pa.Array) -> pa.Array:
        original = column.type
        if pa.types.is_dictionary(original):
            column = column.dictionary_decode()
        text = _as_text(column)
        new = self._transform_strings(text)
        if pa.types.is_string(original) or pa.types.is_large_string(original):
            return new.cast(original)
        try:
            return pc.cast(new, column.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            self.stats.type_changed = f"{original} -> string"
            return new

    def _transform_strings(self, values: pa.Array) -> pa.Array:
        trimmed = pc.utf8_trim_whitespace(values)
        nonempty = pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False)
        filled = pc.sum(nonempty).as_py() or 0
        self.stats.empty += len(values) - filled
        if self.operator.identity or filled == 0:
            self.stats.values_unchanged += filled
            return values
        if self.free_text:
            return self._rewrite(values, nonempty, values)
        if self.cell_pattern:
            target = pc.and_(nonempty, pc.fill_null(pc.match_substring_regex(trimmed, self.cell_pattern), False))
            hits = pc.sum(target).as_py() or 0
        else:
            target, hits = nonempty, filled
        out = values
        if hits == len(values):  # the common case: every cell is the entity
            out = self._apply(values)
            self.stats.values_changed += pc.sum(pc.not_equal(out, values)).as_py() or 0
            return out
        if hits:
            before = values.filter(target)
            new = self._apply(before)
            self.stats.values_changed += pc.sum(pc.not_equal(new, before)).as_py() or 0
            out = pc.replace_with_mask(out, target, new)
        if hits < filled:
            out = self._transform_rest(out, pc.and_(nonempty, pc.invert(target)), values)
        return out

    def _transform_rest(self, out: pa.Array, rest: pa.Array, values: pa.Array) -> pa.Array:
        """Cells off the canonical pattern: the entity in another shape is still transformed.

        Each distinct cell gets a verdict (``shapes.judge``): the entity once
        normalized (the operator runs on the normalized form, a label kept), a
        whole-cell entity (password, address, name), a placeholder, or text for
        the free-text path. Text in which that path finds nothing but which
        still holds a run of digits is a malformed identifier and is
        transformed whole; only placeholders and such clean text stay, and
        their count is recorded per reason.
        """
        before = values.filter(rest)
        encoded = pc.dictionary_encode(before)
        distinct = encoded.dictionary.to_pylist()
        weight = np.bincount(encoded.indices.to_numpy(zero_copy_only=False), minlength=len(distinct))
        verdicts = [judge(self.entity, v) for v in distinct]
        texts = [i for i, verdict in enumerate(verdicts) if verdict.kind == "text"]
        rewritten: dict[int, str] = {}
        if texts:
            got = self.rewriter.rewrite_array(pa.array([distinct[i] for i in texts], type=pa.string()))
            rewritten = dict(zip(texts, got.to_pylist()))
            self.stats.spans = self.rewriter.stats.spans
            self.stats.spans_by_entity = dict(self.rewriter.stats.by_entity or {})
        new = list(distinct)
        whole = np.zeros(len(distinct), dtype=bool)  # cells the operator takes whole (randomized: once per cell)
        reversible = isinstance(self.operator, ReversibleOperator)
        for i, (value, verdict) in enumerate(zip(distinct, verdicts)):
            reason = None
            if verdict.kind == "entity" and reversible:  # revealing gives the cell back as written
                new[i], whole[i] = self._one(value), True
                self.stats.other_shapes += int(weight[i])
            elif verdict.kind == "entity":
                new[i] = verdict.label + self._one(verdict.form) + verdict.extension
                self.stats.other_shapes += int(weight[i])
            elif verdict.kind == "whole":
                new[i], whole[i] = self._one(value), True
                self.stats.other_shapes += int(weight[i])
            elif verdict.kind == "placeholder":
                reason = "placeholder"
            elif rewritten[i] != value:
                new[i] = rewritten[i]
            elif identifier_like(value):
                new[i], whole[i] = self._one(value), True
                self.stats.other_shapes += int(weight[i])
            else:
                reason = "no_entity_found"
            if new[i] == value:
                self.stats.values_unchanged += int(weight[i])
                key = reason or "same_after_operator"
                self.stats.unchanged_reasons[key] = self.stats.unchanged_reasons.get(key, 0) + int(weight[i])
            else:
                self.stats.values_changed += int(weight[i])
        mapped = pa.array(new, type=pa.string()).take(encoded.indices)
        if self.operator.randomized and whole.any():
            # A fresh nonce per cell, as on the main path: equal cells must not give equal tokens.
            again = whole[encoded.indices.to_numpy(zero_copy_only=False)]
            cells = before.filter(pa.array(again)).to_pylist()
            mapped = pc.replace_with_mask(mapped, pa.array(again), pa.array([self._one(v) for v in cells], pa.string()))
        return pc.replace_with_mask(out, rest, mapped)

    def _one(self, value: str) -> str:
        """One value through the column's rule (what ``_apply`` does column-wise)."""
        return self.rule.apply_value(self.entity, value, self.ctx)

    def _rewrite(self, out: pa.Array, rest: pa.Array, values: pa.Array) -> pa.Array:
        """Free-text path for the ``rest`` cells: only their sensitive spans change."""
        before = values.filter(rest)
        rewritten = self.rewriter.rewrite_array(before)
        changed = pc.sum(pc.not_equal(rewritten, before)).as_py() or 0
        self.stats.values_changed += changed
        self.stats.values_unchanged += len(before) - changed
        self.stats.spans = self.rewriter.stats.spans
        self.stats.spans_by_entity = dict(self.rewriter.stats.by_entity or {})
        return pc.replace_with_mask(out, rest, rewritten)

    def _apply(self, values: pa.Array) -> pa.Array:
        """The rule over cells that are the entity (no nulls, non-empty): the operator's array form."""
        return self.rule.apply_array(self.entity, values, self.ctx)


def _as_text(column: pa.Array) -> pa.Array:
    """A column as strings: integral floats lose their ``.0`` (as the connectors render them)."""
    t = column.type
    if pa.types.is_string(t):
        return column
    if pa.types.is_large_string(t):
        return column.cast(pa.string())
    if pa.types.is_floating(t):
        arr = column.to_numpy(zero_copy_only=False)
        finite = np.isfinite(arr) & ~np.isnan(arr)
        if np.all(np.mod(arr[finite], 1) == 0):
            return pc.cast(pc.cast(column, pa.int64(), safe=False), pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pa.array([None if v is None else v.hex() for v in column.to_pylist()], type=pa.string())
    if pa.types.is_null(t):
        return pa.array([None] * len(column), type=pa.string())
    return pc.cast(column, pa.string())

"""The anonymization job of a document dataset: every text rewritten span by span.

A document is not a table with typed columns: a contract's paragraph, a table cell in it and an
attached workbook's cell are all free text to its rewriter (``scanner.documents``), which hands
each text to one function. So the job does not depend on which column the scan classified: every
string column of every batch goes through piiwarden's recognizers and each span gets its
entity's rule (a ``dataset:column`` override wins, as for tables). The document writer applies
the same transform to each text of the file; ``verify`` re-reads the output with the scanner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.rules import Rule, Rules
from scanner.anonymize.text import TextRewriter
from scanner.connectors.base import Dataset, SourceError
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.writers.base import BatchOut

TEXT_SCHEMA = pa.schema([("text", pa.string())])
XLS_NOTE = ("legacy .xls written as .xlsx beside the name (no .xls writer exists); "
            "cell values kept as text, formatting not carried over")


def _has_text(column: pa.Array) -> bool:
    """Whether any value holds more than whitespace (only those can hold a span)."""
    lengths = pc.utf8_length(pc.utf8_trim_whitespace(pc.fill_null(column, "")))
    return bool(pc.any(pc.greater(lengths, 0)).as_py())


Record = Callable[[], dict[str, Any]]


def document_job(ds: Dataset, rules: Rules, ctx: OpContext,
                 sample_rows: int) -> tuple[Callable[[pa.RecordBatch], BatchOut], Record]:
    """The dataset's scan (a failed read fails the file), a transform rewriting every text column and the
    record of what it changed (``scanner.anonymize.engine`` makes them a ``DatasetJob``)."""
    scanned = scan_dataset(ds, ScanOptions(sample_rows=sample_rows))
    if scanned.errors:
        raise SourceError(scanned.errors[0])
    rewriters: dict[str, TextRewriter] = {}
    counts = {"rows": 0}

    def rewriter_for(column: str) -> TextRewriter:
        found = rewriters.get(column)
        if found is None:
            override = rules.column_override(ds.id, column)

            def rule_for(entity: str) -> Rule:
                return override.rule if override else rules.for_entity(entity).rule

            found = rewriters[column] = TextRewriter(rule_for, ctx)
        return found

    def rewrite_batch(batch: pa.RecordBatch) -> BatchOut:
        out = BatchOut(batch)
        for name, column in zip(batch.schema.names, batch.columns):
            if not pa.types.is_string(column.type) or not _has_text(column):
                continue
            filled = pc.fill_null(column, "")
            changed = rewriter_for(name).rewrite_array(filled)
            out.changed[name] = pc.if_else(pc.is_null(column), column, changed)
        return out

    def transform(batch: pa.RecordBatch) -> BatchOut:
        counts["rows"] += batch.num_rows
        return rewrite_batch(batch)

    def text(value: str) -> str:
        """One text of the document file (what the writer's rewrite_document hands over)."""
        if not value.strip():  # runs of spaces between styled runs hold nothing to find
            return value
        batch = pa.RecordBatch.from_pydict({"text": [value]}, schema=TEXT_SCHEMA)
        result = rewrite_batch(batch).column("text")[0].as_py()
        return value if result is None else str(result)

    transform.text = text  # type: ignore[attr-defined]

    def record() -> dict[str, Any]:
        columns = []
        for name, rewriter in rewriters.items():
            by_entity = rewriter.stats.by_entity or {}
            columns.append({"name": name, "entity": None, "level": 0, "free_text": True,
                            "rule": {"op": "spans"}, "rule_source": "entities", "spans": rewriter.stats.spans,
                            "values_changed": rewriter.stats.values_changed,
                            "spans_by_entity": dict(sorted(by_entity.items())),
                            "ops_by_entity": {e: rewriter.rule_for(e).op for e in sorted(by_entity)}})
        out: dict[str, Any] = {"rows": counts["rows"], "columns": columns, "k_anonymity": None}
        if ds.format == "xls" and ds.meta.get("document", "").lower().endswith(".xls"):
            out["note"] = XLS_NOTE
        return out

    return transform, record

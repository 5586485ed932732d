"""k-anonymity of an output on a dataset's quasi-identifiers.

Equivalence classes are the distinct combinations of quasi-identifier values
(null is a value of its own); k is the size of the smallest class. Counts are
accumulated batch by batch with Arrow's group-by, so memory follows the
number of classes, not rows. Computed on the anonymized output, because that
is what a recipient could link against other data.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa


class KAnonymity:
    """Accumulates equivalence-class sizes over output batches."""

    def __init__(self, quasi_identifiers: list[str], k_threshold: int) -> None:
        self.qis = list(quasi_identifiers)
        self.k_threshold = k_threshold
        self.counts: Counter[tuple] = Counter()
        self.present: list[str] | None = None

    def update(self, batch: pa.RecordBatch) -> None:
        """Add one output batch."""
        if self.present is None:
            self.present = [q for q in self.qis if q in batch.schema.names]
        if not self.present or batch.num_rows == 0:
            return
        columns = [_hashable(batch.column(q)) for q in self.present]
        table = pa.table(columns, names=[f"q{i}" for i in range(len(columns))])
        grouped = table.group_by(table.column_names, use_threads=False).aggregate([([], "count_all")])
        keys = [grouped.column(f"q{i}").to_pylist() for i in range(len(columns))]
        for key, count in zip(zip(*keys), grouped.column("count_all").to_pylist()):
            self.counts[key] += count

    def result(self) -> dict[str, Any]:
        """The numbers for anonymization.json."""
        present = self.present or []
        sizes = list(self.counts.values())
        k = min(sizes) if sizes else None
        under = [s for s in sizes if s < self.k_threshold]
        return {
            "quasi_identifiers": self.qis,
            "missing": [q for q in self.qis if q not in present],
            "records": sum(sizes),
            "classes": len(sizes),
            "k": k,
            "k_threshold": self.k_threshold,
            "classes_under_k": len(under),
            "records_under_k": sum(under),
            "meets_threshold": k is None or k >= self.k_threshold,
        }


def _hashable(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Lists and structs become their text so that they can be grouped on."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    t = column.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_struct(t) or pa.types.is_map(t):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string())
    if pa.types.is_dictionary(t):
        return column.dictionary_decode()
    return column


def describe(dataset_id: str, result: dict[str, Any]) -> str:
    """One console line (no values: only sizes)."""
    if result["k"] is None:
        return f"k-anonymity {dataset_id}: no quasi-identifier columns present ({', '.join(result['missing'])})"
    line = (f"k-anonymity {dataset_id} on [{', '.join(q for q in result['quasi_identifiers'] if q not in result['missing'])}]: "
            f"k={result['k']}, {result['classes']} classes, {result['records_under_k']} of {result['records']} "
            f"records in classes under k={result['k_threshold']}")
    if not result["meets_threshold"]:
        line = "WARNING " + line + " (generalize quasi-identifiers to raise k)"
    return line

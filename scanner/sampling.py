"""Row sampling spread over a whole dataset, not just its head.

Bottom-k sampling: every row gets a random key and the k rows with the
smallest keys are kept. It streams (one pass, memory bounded by k plus one
batch), is uniform over the whole dataset and is reproducible (seeded by the
dataset id).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from scanner.defaults import DEFAULT_SAMPLE_ROWS  # noqa: F401 - re-exported: where sampling is


def _seed(dataset_id: str) -> int:
    return zlib.crc32(dataset_id.encode("utf-8"))


def unify(tables: list[pa.Table]) -> pa.Table:
    """Concatenate tables whose columns may differ (JSON records add fields as they go)."""
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


class BottomKSampler:
    """Keeps a uniform random sample of ``k`` rows from a stream of record batches."""

    def __init__(self, k: int, dataset_id: str) -> None:
        self.k = k
        self.rng = np.random.default_rng(_seed(dataset_id))
        self.rows_seen = 0
        self._kept: pa.Table | None = None
        self._keys = np.empty(0)

    def add(self, batch: pa.RecordBatch) -> None:
        """Offer one batch; keeps at most k rows overall."""
        n = batch.num_rows
        if n == 0:
            return
        keys = self.rng.random(n)
        self.rows_seen += n
        table = pa.Table.from_batches([batch])
        if self._kept is None:
            merged, merged_keys = table, keys
        else:
            merged = unify([self._kept, table])
            merged_keys = np.concatenate([self._keys, keys])
        if merged.num_rows > self.k:
            # keep the k smallest keys, in stream order so the sample reads naturally
            idx = np.sort(np.argpartition(merged_keys, self.k - 1)[: self.k])
            merged = merged.take(pa.array(idx))
            merged_keys = merged_keys[idx]
        self._kept, self._keys = merged, merged_keys

    def table(self) -> pa.Table | None:
        """The sample, or None if the stream had no rows."""
        return self._kept

    def split(self, m: int) -> tuple[pa.Table | None, pa.Table | None]:
        """The sample as (its m rows with the smallest keys, the other rows), each in stream order.

        The first part is itself a uniform random sample of the dataset, which
        is what lets a column stop early once its finding is settled.
        """
        if self._kept is None or self._kept.num_rows <= m:
            return self._kept, None
        head = np.zeros(self._kept.num_rows, dtype=bool)
        head[np.argpartition(self._keys, m - 1)[:m]] = True
        return self._kept.filter(pa.array(head)), self._kept.filter(pa.array(~head))


def sample_batches(batches: Iterable[pa.RecordBatch], k: int, dataset_id: str) -> tuple[pa.Table | None, int]:
    """Sample k rows from a stream; returns the sample and the number of rows seen."""
    sampler = BottomKSampler(k, dataset_id)
    for batch in batches:
        sampler.add(batch)
    return sampler.table(), sampler.rows_seen


def iter_tables(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Batches as one-batch tables (for a full pass that profiles as it streams)."""
    for batch in batches:
        if batch.num_rows:
            yield pa.Table.from_batches([batch])

"""How many people a dataset is about, estimated while it is scanned (findings.json ``subjects_estimate``).

The PI inventory and the 72-hour breach notice ask "how many people would
be affected if this leaked?". The answer is a distinct count over the
dataset's identifier columns (``kinds.identifier_entities``), and it must
come from the scan itself: a second pass over a large table would double
what the scan costs.

Values are normalized as the subject index normalizes them
(``identifiers.normalize_identifiers``: ``138-1234-5678`` and
``13812345678`` are one person) and counted with a HyperLogLog sketch
(``distinct.DistinctSketch``), because sketches of the units of a full
pass, done in different worker processes, merge into the dataset's by a
register-wise maximum: the estimate is the same for one worker and many.

A unit does not know yet which entity its column will be classified as,
so it sketches a column under the identifier entity that validated most
of its cells in that unit; the dataset's estimate then reads only the
sketches of the entity each column was finally classified as (a unit
whose leader differs from the final class adds nothing: an undercount,
never a double count).

One person usually appears once per identifier column (an ID and a mobile
in the same row are the same person), so the sketches of different
columns are not added up: the estimate is the largest column's distinct
count, a lower bound that does not count one person twice. A sample scan
estimates from the rows it read, nothing is scaled up (README: "people
affected if this leaked").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scanner.lifecycle.distinct import DistinctSketch
from scanner.lifecycle.kinds import identifier_entities
from scanner.model import ColumnFinding

SKETCH_STATE_KEY = "subject_sketches"  # beside a column profile's state in a unit's plain result


def sketch_values(entity: str, values: pa.Array | pa.ChunkedArray) -> DistinctSketch:
    """A sketch of a column's identifier values as ``entity``, normalized like the subject index (nulls skipped).

    The scan pays for this on every row, so ASCII text cells take the
    vectorized ``hash`` normalization alone (``crypto.normalize_array``:
    separators, ``+86``, case) without the subject index's whole-cell
    pattern pass and per-cell verdicts, which cost more than the rest of
    the sketch together. A non-identifier cell left in an identifier column
    (``N/A``, a typo) then counts as one more distinct value: an
    overcount bounded by the column's few distinct junk values, for an
    estimate. Other cells (non-ASCII, numbers) go the index's exact way.
    """
    from scanner.anonymize.crypto import normalize_array  # the anonymize stack: only when needed
    from scanner.lifecycle.identifiers import normalize_identifiers

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    sketch = DistinctSketch()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return sketch.add(normalize_identifiers(entity, values))
    values = values.drop_null() if values.null_count else values
    ascii_cells = pc.string_is_ascii(values)
    plain = values if pc.all(ascii_cells).as_py() else values.filter(ascii_cells)
    if len(plain) < len(values):
        sketch.add(normalize_identifiers(entity, values.filter(pc.invert(ascii_cells))))
    forms = normalize_array(entity, plain)
    return sketch.add(forms.filter(pc.greater(pc.utf8_length(forms), 0)))


def unit_sketches(arrays: Iterable[pa.Array], validated: Mapping[str, int]) -> dict[str, bytes]:
    """One unit's sketch of one column, under the identifier entity most of its cells validated as.

    ``validated`` is the unit profile's count of validated cells by entity.
    Only the leading identifier entity is sketched: normalizing a column as
    an entity a few of its cells happen to pass (18-digit IDs that pass the
    card checksum) judges every other cell one by one, which cost a full
    scan ten times over (bench/README.md). Returns plain bytes by entity
    (they cross process pools); empty when no identifier validated.
    """
    ranked = sorted(((n, e) for e, n in validated.items() if n > 0 and e in identifier_entities()), reverse=True)
    if not ranked:
        return {}
    entity = ranked[0][1]
    sketch = DistinctSketch()
    for array in arrays:  # one per run of batches of one type: sketched one by one, as types may differ
        sketch.update(sketch_values(entity, array))
    return {entity: sketch.to_bytes()}


@dataclass
class SubjectSketches:
    """A dataset's sketches by (column, entity), merged unit after unit."""

    by_column: dict[tuple[str, str], DistinctSketch] = field(default_factory=dict)

    def add(self, column: str, sketches: Mapping[str, bytes]) -> None:
        """Merge one unit's sketches of one column (the ``unit_sketches`` bytes)."""
        for entity, raw in sketches.items():
            sketch = DistinctSketch.from_bytes(raw)
            mine = self.by_column.get((column, entity))
            if mine is None:
                self.by_column[(column, entity)] = sketch
            else:
                mine.update(sketch)

    def take(self, column: str, state: dict[str, Any]) -> dict[str, Any]:
        """A unit's column state without its sketches, which are merged here (``from_state`` knows no sketch)."""
        if SKETCH_STATE_KEY not in state:
            return state
        self.add(column, state[SKETCH_STATE_KEY])
        return {k: v for k, v in state.items() if k != SKETCH_STATE_KEY}

    def add_sketch(self, column: str, entity: str, sketch: DistinctSketch) -> None:
        """Merge a sketch made here (a sample scan's)."""
        mine = self.by_column.get((column, entity))
        self.by_column[(column, entity)] = sketch if mine is None else mine.update(sketch)

    def estimate(self, columns: Iterable[ColumnFinding]) -> int | None:
        """The largest distinct count among the identifier columns as classified; None without any."""
        counts = [sketch.estimate() for sketch in (self._classified(c) for c in columns) if sketch is not None]
        return max(counts) if counts else None

    def _classified(self, column: ColumnFinding) -> DistinctSketch | None:
        """The column's sketch under the entity it was classified as, if that entity identifies people."""
        entity = column.primary_entity
        if entity is None or entity not in identifier_entities():
            return None
        return self.by_column.get((column.name, entity))


def sample_estimate(table: pa.Table | None, columns: Iterable[ColumnFinding]) -> int | None:
    """A sample scan's estimate: the identifier columns of the rows read, sketched once the columns are classified."""
    if table is None:
        return None
    columns = list(columns)
    identifiers = identifier_entities()
    wanted = [c for c in columns if c.primary_entity is not None and c.primary_entity in identifiers]
    if not wanted:
        return None
    present = set(table.column_names)  # once: a wide table has tens of thousands of columns
    sketches = SubjectSketches()
    for col in wanted:
        if col.name in present and col.primary_entity is not None:
            sketches.add_sketch(col.name, col.primary_entity, sketch_values(col.primary_entity, table[col.name]))
    return sketches.estimate(wanted)


class ProfileSketcher:
    """Sketches of columns profiled batch by batch in one long-lived profile (a Spark partition).

    Such a profile sees a whole partition, not a unit, so each batch is
    sketched under the identifier entity that validated most of that
    batch's cells (the rise in the profile's validated counts). The
    sketches travel beside the profile's state (``with_sketches``) and are
    merged on the driver (``SubjectSketches.take``).
    """

    def __init__(self) -> None:
        self.sketches = SubjectSketches()

    def update(self, profile: Any, column: pa.Array | pa.ChunkedArray) -> None:
        """``profile.update(column)`` (a ``detectors.classify.ColumnProfile``), sketching the batch as well."""
        before = {entity: ev.validated for entity, ev in profile.evidence.items()}
        profile.update(column)
        rise = {entity: ev.validated - before.get(entity, 0) for entity, ev in profile.evidence.items()}
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        self.sketches.add(profile.name, unit_sketches(chunks, rise))

    def with_sketches(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """The profile's state plus this column's sketches (plain bytes), as ``unit_states`` adds them."""
        found = {entity: sketch.to_bytes() for (column, entity), sketch in self.sketches.by_column.items()
                 if column == name}
        return {**state, SKETCH_STATE_KEY: found} if found else state

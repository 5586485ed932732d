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

People are counted by the dataset's strongest identifier, not by every
identifier column (``counting_columns``): a resident ID is one per person,
while a person may have two mobiles, several e-mail addresses and bank
cards, so the ID column's distinct count is the better answer, and
sketching one column instead of all of them keeps the estimate's cost
under 5% of a full scan even when every column is an identifier
(bench/README.md). The strongest identifier is the column of the kind
that counts best (``kinds.COUNTING_ORDER``) among those that cover the
rows about as well as the best-covered one, so a resident-ID column that
is mostly empty does not hide a full mobile column. Columns of that same
kind are all sketched (a customer's and an emergency contact's mobile),
and the estimate is the largest of their counts, never their sum (one
person may be in both). Rows where the counting identifier is empty are
not counted: adding one person per such row would count an event log's
users again on every event without it, so the estimate stays a count of
distinct identifiers, a lower bound when some people lack one
(sample_data's warehouse members: 191 for 200 members, 8 without an ID).

A unit does not know yet which entity its column will be classified as,
so it sketches a column under the identifier entity that validated most
of its cells in that unit; the dataset's estimate then reads only the
sketches of the entity each column was finally classified as (a unit
whose leader differs from the final class adds nothing: an undercount,
never a double count). A sample scan estimates from the rows it read,
nothing is scaled up (README: "people affected if this leaked").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scanner.lifecycle.distinct import DistinctSketch
from scanner.lifecycle.kinds import counting_kinds
from scanner.model import ColumnFinding

SKETCH_STATE_KEY = "subject_sketches"  # beside a column profile's state in a unit's plain result
# A column covers the rows when it validated at least this share of the best-covered identifier column's cells.
COVERAGE = 0.9
# zlib level of a unit's sketch on its way to the parent: level 9 cost 1-8 ms per unit, level 1 0.14 ms;
# 0 stores the 16 KiB as they are, all a pickle between two processes on one machine needs.
WIRE_COMPRESSION = 0


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
    from scanner.anonymize.crypto import normalize_ascii_array  # light (7 ms), unlike the index's stack

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    sketch = DistinctSketch()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return sketch.add(_exact_forms(entity, values))
    values = values.drop_null() if values.null_count else values
    ascii_cells = pc.string_is_ascii(values)
    plain = values if pc.all(ascii_cells).as_py() else values.filter(ascii_cells)
    if len(plain) < len(values):
        sketch.add(_exact_forms(entity, values.filter(pc.invert(ascii_cells))))
    forms = normalize_ascii_array(entity, plain)
    lengths = pc.binary_length(forms)  # ASCII: bytes are characters, and the offsets alone give them
    if len(forms) and pc.min(lengths).as_py() == 0:  # a cell of spaces normalizes to nothing: no one
        forms = forms.filter(pc.greater(lengths, 0))
    return sketch.add(forms)


def _exact_forms(entity: str, values: pa.Array) -> pa.Array:
    """The subject index's normalization (``identifiers.normalize_identifiers``), for the cells that need it.

    Imported here, not with the sketch: it loads the anonymize operators
    (80 ms), which every forked scan worker would pay for a column of
    plain ASCII identifiers that never needs it.
    """
    from scanner.lifecycle.identifiers import normalize_identifiers

    return normalize_identifiers(entity, values)


def counting_columns(validated: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """The columns a unit's people are counted by, each with its entity (empty: no identifier validated).

    ``validated`` is, by column, the count of validated cells by entity.
    Each column stands for its leading identifier entity (the most
    validated cells; on a tie the kind that counts best). The chosen
    columns are those of the best-counting kind among the columns that
    validated at least ``COVERAGE`` of the best-covered column's cells.
    """
    places = counting_kinds()
    leaders: dict[str, tuple[str, int]] = {}
    for column, counts in validated.items():
        ranked = [(n, -places[e], e) for e, n in counts.items() if n > 0 and e in places]
        if ranked:
            n, _, entity = max(ranked)
            leaders[column] = (entity, n)
    if not leaders:
        return {}
    best = max(n for _, n in leaders.values())
    covering = {column: entity for column, (entity, n) in leaders.items() if n >= COVERAGE * best}
    kind = min(places[entity] for entity in covering.values())
    return {column: entity for column, entity in covering.items() if places[entity] == kind}


def unit_sketches(columns: Mapping[str, Iterable[pa.Array]],
                  validated: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, bytes]]:
    """One unit's sketches of the columns that count its people (``counting_columns``), as plain bytes by column.

    ``columns`` are the unit's arrays by column (one per run of batches of
    one type: sketched one by one, as types may differ). The bytes cross
    process pools, lightly compressed (``WIRE_COMPRESSION``).
    """
    out: dict[str, dict[str, bytes]] = {}
    for column, entity in counting_columns(validated).items():
        sketch = DistinctSketch()
        for array in columns[column]:
            sketch.update(sketch_values(entity, array))
        out[column] = {entity: sketch.to_bytes(WIRE_COMPRESSION)}
    return out


def validated_counts(profile: Any) -> dict[str, int]:
    """A column profile's (``detectors.classify.ColumnProfile``) validated cells by entity."""
    return {entity: ev.validated for entity, ev in profile.evidence.items()}


@dataclass
class SubjectSketches:
    """A dataset's sketches by (column, entity), merged unit after unit."""

    by_column: dict[tuple[str, str], DistinctSketch] = field(default_factory=dict)

    def add(self, column: str, sketches: Mapping[str, bytes]) -> None:
        """Merge one unit's sketches of one column (the ``unit_sketches`` bytes)."""
        for entity, raw in sketches.items():
            self.add_sketch(column, entity, DistinctSketch.from_bytes(raw))

    def take(self, column: str, state: dict[str, Any]) -> dict[str, Any]:
        """A unit's column state without its sketches, which are merged here (``from_state`` knows no sketch)."""
        if SKETCH_STATE_KEY not in state:
            return state
        self.add(column, state[SKETCH_STATE_KEY])
        return {k: v for k, v in state.items() if k != SKETCH_STATE_KEY}

    def add_sketch(self, column: str, entity: str, sketch: DistinctSketch) -> None:
        """Merge a sketch of one column as one entity."""
        mine = self.by_column.get((column, entity))
        self.by_column[(column, entity)] = sketch if mine is None else mine.update(sketch)

    def estimate(self, columns: Iterable[ColumnFinding]) -> int | None:
        """The largest distinct count among the sketched columns as classified; None without any."""
        counts = [sketch.estimate() for sketch in (self._classified(c) for c in columns) if sketch is not None]
        return max(counts) if counts else None

    def _classified(self, column: ColumnFinding) -> DistinctSketch | None:
        """The column's sketch under the entity it was classified as (None if it was not sketched as that)."""
        entity = column.primary_entity
        if entity is None:
            return None
        return self.by_column.get((column.name, entity))


def sample_estimate(table: pa.Table | None, columns: Iterable[ColumnFinding]) -> int | None:
    """A sample scan's estimate: the counting columns of the rows read, sketched once the columns are classified."""
    if table is None:
        return None
    columns = list(columns)
    present = set(table.column_names)  # once: a wide table has tens of thousands of columns
    validated = {c.name: {c.primary_entity: _validated(c)} for c in columns
                 if c.primary_entity is not None and c.name in present}
    sketches = SubjectSketches()
    for name, entity in counting_columns(validated).items():
        sketches.add_sketch(name, entity, sketch_values(entity, table[name]))
    return sketches.estimate(columns) if sketches.by_column else None


def _validated(column: ColumnFinding) -> int:
    """How many cells of a classified column validated as its primary entity (its format matches if none did)."""
    counts = column.evidence.cells.get(column.primary_entity or "")
    return 0 if counts is None else counts.validated or counts.format_matches


class ProfileSketcher:
    """Sketches of columns profiled batch by batch in long-lived profiles (a Spark partition's).

    Such profiles see a whole partition, not a unit, so each batch is
    sketched by its own counting columns, chosen from the rise in the
    profiles' validated counts over that batch. The sketches travel beside
    the profiles' states (``with_sketches``) and are merged on the driver
    (``SubjectSketches.take``).
    """

    def __init__(self) -> None:
        self.sketches = SubjectSketches()

    def update(self, profiles: Mapping[str, Any], batch: pa.RecordBatch) -> None:
        """Add a batch to the profiles of its columns (``ColumnProfile.update``), sketching its counting columns."""
        rises: dict[str, dict[str, int]] = {}
        for name, column in zip(batch.schema.names, batch.columns):
            profile = profiles[name]
            before = validated_counts(profile)
            profile.update(column)
            rises[name] = {entity: n - before.get(entity, 0) for entity, n in validated_counts(profile).items()}
        arrays = {name: [column] for name, column in zip(batch.schema.names, batch.columns)}
        for name, sketches in unit_sketches(arrays, rises).items():
            self.sketches.add(name, sketches)

    def with_sketches(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """A profile's state plus its column's sketches (plain bytes), as ``unit_states`` adds them."""
        found = {entity: sketch.to_bytes() for (column, entity), sketch in self.sketches.by_column.items()
                 if column == name}
        return {**state, SKETCH_STATE_KEY: found} if found else state

"""Which entities identify a person, and under which request option (``--id``, ``--mobile``, ...).

Kept apart from ``identifiers`` (which loads the anonymize stack to
normalize values) so that the inventory and the report can ask "is this
an identifier column?" without importing Presidio. The answer is each
entity's own ``subject_kind`` (detectors/entities/<entity>.py), so a custom
entity can be a subject identifier too.
"""

from __future__ import annotations

from collections.abc import Callable

from detectors.entities import registry
from detectors.entities.spec import EntitySpec

# The identifier options of ``subject find|export|erase``.
KINDS = ("id", "mobile", "email", "card")


def identifier_kinds() -> dict[str, tuple[str, ...]]:
    """Each identifier option and the entities a person's value of it may be held as, in rank order."""
    return {kind: registry.with_role(_identified_by(kind)) for kind in KINDS}


def _identified_by(kind: str) -> Callable[[EntitySpec], bool]:
    """The role "identifies a person under this option", with the option bound now (not the loop's last)."""
    return lambda spec: spec.subject_kind == kind


def identifier_entities() -> frozenset[str]:
    """Entities whose columns identify people: what the subject index, the distinct estimate and joins read."""
    return frozenset(registry.with_role(lambda spec: spec.subject_kind is not None))


# The order in which identifier kinds count people (findings.json ``subjects_estimate``): a resident ID or
# passport is one per person; a person may have a second mobile, more e-mail addresses, several bank cards.
COUNTING_ORDER = ("id", "mobile", "email", "card")


def counting_kinds() -> dict[str, int]:
    """Each identifier entity's place in ``COUNTING_ORDER`` (its kind's), to choose the columns that count people."""
    return {entity: COUNTING_ORDER.index(kind)
            for kind, entities in identifier_kinds().items() for entity in entities}

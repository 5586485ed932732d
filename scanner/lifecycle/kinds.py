"""Which entities identify a person, and under which request option (``--id``, ``--mobile``, ...).

Kept apart from ``identifiers`` (which loads the anonymize stack to
normalize values) so that the inventory and the report can ask "is this
an identifier column?" without importing Presidio.
"""

from __future__ import annotations

# The identifier options of ``subject find|export|erase`` and the entities each may be held as.
IDENTIFIER_KINDS: dict[str, tuple[str, ...]] = {
    "id": ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD", "US_SSN"),
    "mobile": ("CN_MOBILE_PHONE", "PHONE_NUMBER"),
    "email": ("EMAIL_ADDRESS",),
    "card": ("BANK_CARD",),
}
# Entities whose columns identify people: what the subject index, the distinct-subject estimate
# and the inventory's cross-dataset joins read.
IDENTIFIER_ENTITIES = frozenset(e for entities in IDENTIFIER_KINDS.values() for e in entities)

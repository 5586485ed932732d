"""The policy's ``roles:`` section (CONTRACT.md "Policy file additions"): who sees which entity how.

``customer_service: {see: [PERSON_NAME], masked: [CN_MOBILE_PHONE], hide: [CREDENTIAL]}``
drives ``piiwarden mask-views``: a role reads every column of an entity it
``see``\\s in clear, masked columns in the entity's default mask shape,
``hashed`` ones as the keyed hash ``anonymize``'s ``hash`` writes (joinable,
not readable; an extension of the contract's three lists), and never a
``hide`` column. An entity the role does not list at all is hidden:
a policy written before a new kind of personal data appeared must not hand
that data out in clear, so the safe reading of silence is "not for you".

Role names become database role/account names and schema names
(``pw_customer_service``), so they are restricted to plain identifiers: no
quoting trick can then turn a policy file into SQL.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detectors.taxonomy import ENTITY_NAMES

Treatment = Literal["see", "mask", "hash", "hide"]
# A role name: a plain identifier that fits PostgreSQL's 63 bytes and MySQL's 32-character user names.
ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


class RolePolicy(BaseModel):
    """What one database role may read of each entity."""

    model_config = ConfigDict(extra="forbid")

    see: list[str] = Field(default_factory=list)
    masked: list[str] = Field(default_factory=list)
    hashed: list[str] = Field(default_factory=list)
    hide: list[str] = Field(default_factory=list)

    @field_validator("see", "masked", "hashed", "hide")
    @classmethod
    def _known_entities(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in ENTITY_NAMES]
        if unknown:
            raise ValueError(f"unknown entity {', '.join(unknown)} (see ENTITIES.md for the names)")
        return value

    @model_validator(mode="after")
    def _one_treatment_each(self) -> RolePolicy:
        """An entity listed twice (``see`` and ``hide``) is a contradiction the author must resolve."""
        seen: dict[str, str] = {}
        for kind in ("see", "masked", "hashed", "hide"):
            for entity in getattr(self, kind):
                if entity in seen and seen[entity] != kind:
                    raise ValueError(f"{entity} is listed under both {seen[entity]} and {kind}")
                seen[entity] = kind
        return self

    def treatment(self, entity: str) -> Treatment:
        """How this role reads a column of ``entity``: in clear, masked, hashed, or not at all (the default)."""
        if entity in self.see:
            return "see"
        if entity in self.masked:
            return "mask"
        if entity in self.hashed:
            return "hash"
        return "hide"


def check_role_names(roles: dict[str, RolePolicy]) -> dict[str, RolePolicy]:
    """Role names are database identifiers: letters, digits and ``_``, at most 32 characters."""
    bad = [name for name in roles if not ROLE_NAME.match(name)]
    if bad:
        raise ValueError(f"role name {', '.join(repr(b) for b in bad)} is not a plain identifier "
                         "(letters, digits, _; at most 32 characters)")
    return roles

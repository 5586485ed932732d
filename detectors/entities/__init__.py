"""Entities: one file per entity, one registry, custom ones from YAML or entry points.

``detectors/entities/<entity>.py`` defines ``SPEC`` (an ``EntitySpec``);
``registry`` finds those files, loads the ``piiwarden.entities`` entry points,
and takes entities registered at run time (``custom.load_entities_file`` and
``register_custom`` for YAML). Importing this package loads no entity yet.
"""

from detectors.entities.registry import (
    EntityRegistryError,
    all_specs,
    find,
    generation,
    get,
    is_sensitive,
    names,
    register,
    scoped,
    unregister,
)
from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords

__all__ = [
    "STRONG",
    "WEAK",
    "EntityRegistryError",
    "EntitySpec",
    "HeaderWords",
    "all_specs",
    "find",
    "generation",
    "get",
    "is_sensitive",
    "names",
    "register",
    "scoped",
    "unregister",
]

"""The entity registry: every entity piiwarden knows, built-in, from YAML or from another package.

Built-ins are the modules of this package that define ``SPEC`` (one file per
entity, found by listing the package, so adding one needs no edit here).
Other distributions add entities through the ``piiwarden.entities`` entry
point group: each entry point loads to an ``EntitySpec``, a list of them, or
a callable returning either. Both are loaded on first use, not at import, so
importing the registry stays cheap.

Generic code (taxonomy, headers, masking, classification, anonymization)
reads entities from here only; ``generation()`` changes on every
registration so that its caches know when to rebuild.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable, Iterator, Set
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detectors.entities.spec import EntitySpec

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

    from detectors.recognizers import PiiRecognizer

ENTRY_POINT_GROUP = "piiwarden.entities"
# Modules of this package that are machinery, not entities.
_NOT_ENTITIES = frozenset({"spec", "registry", "custom"})

_lock = threading.RLock()
_specs: dict[str, EntitySpec] = {}
_builtin: dict[str, EntitySpec] = {}  # the package's own entity files, as loaded
_order: dict[str, int] = {}  # registration sequence, the tie-break after rank
_state = {"generation": 0, "loaded": False, "sequence": 0}
_sorted: list[tuple[EntitySpec, ...]] = []
_listeners: list[Callable[[], None]] = []


class EntityRegistryError(ValueError):
    """An entity that cannot be registered (a duplicate name, an entry point that is no spec)."""


def _ensure_loaded() -> None:
    """Load the built-in entity modules and the entry points, once."""
    if _state["loaded"]:
        return
    with _lock:
        if _state["loaded"]:
            return
        _state["loaded"] = True  # set first: an entity module that asks the registry sees what is loaded so far
        try:
            _load_builtins()
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                for spec in _specs_from(ep.load(), ep.name):
                    _add(spec, replace=False)
        except BaseException:
            _specs.clear()  # no half-loaded registry: the next use tries again and fails the same way
            _order.clear()
            _state["loaded"] = False
            _changed()
            raise


def _load_builtins() -> None:
    """Register the ``SPEC`` of every module of this package that is an entity, in name order.

    The package is listed by its folder, not imported: its ``__init__``
    imports this module, and the registry must sit below it.
    """
    package = __name__.rpartition(".")[0]
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name in _NOT_ENTITIES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, EntitySpec):
            _add(spec, replace=False)
            _builtin[spec.name] = spec


def _specs_from(obj: Any, source: str) -> list[EntitySpec]:
    """The specs an entry point offers: a spec, an iterable of them, or a callable returning either."""
    if callable(obj) and not isinstance(obj, EntitySpec):
        obj = obj()
    items = [obj] if isinstance(obj, EntitySpec) else list(obj) if isinstance(obj, Iterable) else [obj]
    if not all(isinstance(s, EntitySpec) for s in items):
        raise EntityRegistryError(f"entry point {source!r} ({ENTRY_POINT_GROUP}) gives no EntitySpec")
    return items


def _add(spec: EntitySpec, replace: bool) -> None:
    """Register under the lock; a second entity of one name is refused unless replacing."""
    if spec.name in _specs and not replace:
        raise EntityRegistryError(f"entity {spec.name} is already registered")
    _specs[spec.name] = spec
    _state["sequence"] += 1
    _order[spec.name] = _state["sequence"]
    _changed()


def _changed() -> None:
    """Invalidate every derived view (sorted list here, generation-keyed caches elsewhere)."""
    _state["generation"] += 1
    _sorted.clear()
    for listener in _listeners:
        listener()


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever entities are registered or removed (caches not keyed by generation)."""
    _listeners.append(listener)


def reload() -> None:
    """Forget every entity and load the built-ins and entry points again.

    For a process that installed a distribution after first use (the
    entry-point test does); entities registered at run time are dropped.
    """
    with _lock:
        _specs.clear()
        _order.clear()
        _builtin.clear()
        _state["loaded"] = False
        _changed()
    _ensure_loaded()


def added_specs() -> tuple[EntitySpec, ...]:
    """Entities beyond the package's own files (entry points, YAML, run-time registrations), in rank order.

    What makes two scans of the same data disagree: ``--incremental`` must
    not reuse a result found without them (scanner/incremental.py keys on it).
    """
    return tuple(s for s in all_specs() if _builtin.get(s.name) is not s)


def register(spec: EntitySpec, *, replace: bool = False) -> EntitySpec:
    """Add an entity for the rest of the process (``scoped`` for a bounded time)."""
    _ensure_loaded()
    with _lock:
        _add(spec, replace)
    return spec


def unregister(name: str) -> None:
    """Remove an entity (a custom one going out of scope); unknown names are ignored."""
    _ensure_loaded()
    with _lock:
        if _specs.pop(name, None) is not None:
            _order.pop(name, None)
            _changed()


@contextmanager
def scoped(specs: Iterable[EntitySpec]) -> Iterator[list[EntitySpec]]:
    """Entities registered for the duration of a block (a scan or anonymize run), then removed."""
    added: list[EntitySpec] = []
    try:
        for spec in specs:
            added.append(register(spec))
        yield added
    finally:
        for spec in reversed(added):
            unregister(spec.name)


def all_specs() -> tuple[EntitySpec, ...]:
    """Every entity, by rank then registration order."""
    _ensure_loaded()
    with _lock:
        if not _sorted:
            _sorted.append(tuple(sorted(_specs.values(), key=lambda s: (s.rank, _order[s.name]))))
        return _sorted[0]


def get(name: str) -> EntitySpec:
    """The entity of a name; KeyError when unknown."""
    _ensure_loaded()
    return _specs[name]


def find(name: str | None) -> EntitySpec | None:
    """The entity of a name, or None (no entity, or unknown)."""
    if not name:
        return None
    _ensure_loaded()
    return _specs.get(name)


def names() -> tuple[str, ...]:
    """Entity names in rank order."""
    return tuple(s.name for s in all_specs())


def generation() -> int:
    """A number that changes whenever the set of entities does (cache key for derived tables)."""
    _ensure_loaded()
    return _state["generation"]


def with_role(role: Callable[[EntitySpec], bool]) -> tuple[str, ...]:
    """Names of the entities a predicate over their spec selects, in rank order."""
    return tuple(s.name for s in all_specs() if role(s))


def role_entity(role: Callable[[EntitySpec], bool]) -> str:
    """The first entity (by rank) playing a role that generic code needs exactly one of (person names)."""
    found = with_role(role)
    if not found:
        raise EntityRegistryError("no registered entity plays this role")
    return found[0]


def recognizer_classes() -> list[type[PiiRecognizer]]:
    """The column/span recognizer of every registered entity, in rank order."""
    return [spec.recognizer for spec in all_specs() if spec.recognizer is not None]


def recognizers_for(language: str) -> list[EntityRecognizer]:
    """Every piiwarden recognizer for a language, ready for a Presidio RecognizerRegistry.

    Chinese and English recognizers are registered for both languages: a
    Chinese ID number inside English text is still a Chinese ID number.
    Free-text-only recognizers (jieba's Chinese names) come after all of them.
    """
    recognizers: list[EntityRecognizer] = [cls(supported_language=language) for cls in recognizer_classes()]
    recognizers.extend(make(language) for spec in all_specs() for make in spec.text_recognizers)
    return recognizers


def is_sensitive(entity: str | None) -> bool:
    """Whether an entity is PIPL Art. 28 sensitive personal information (unknown: no)."""
    spec = find(entity)
    return bool(spec and spec.sensitive)


class RoleSet(Set[str]):
    """The names of the entities that play a role (a predicate over their spec), read live.

    Generic code keeps module-level constants such as ``WHOLE_CELL`` with set
    semantics; this keeps them current when entities are registered later.
    """

    def __init__(self, role: Callable[[EntitySpec], bool]) -> None:
        self._role = role

    def __contains__(self, name: object) -> bool:
        spec = find(name) if isinstance(name, str) else None
        return spec is not None and bool(self._role(spec))

    def __iter__(self) -> Iterator[str]:
        return iter(with_role(self._role))

    def __len__(self) -> int:
        return len(with_role(self._role))

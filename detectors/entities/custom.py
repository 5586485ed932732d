"""Custom entities from YAML: every company has its own customer numbers and employee IDs.

A file (``--entities FILE`` or ``entities:`` in the config, CONTRACT.md
"Custom entities") declares entities by name, level, category, regular
expression, an optional validator from a built-in set, header words and a
mask shape. ``load_entities_file`` turns it into ``EntitySpec`` records with
a generated recognizer; ``register_custom`` (for the process) or
``registry.scoped`` (for one run) makes scan and anonymize see them like
built-ins: recognizer, header words, column classification, masking, keyed
hash and a same-shape pseudonym (format-preserving encryption).

A bad file is one ``EntitiesFileError`` whose text is
``FILE:LINE: entities.NAME.FIELD: problem``: a scheduled job stops with the
place to fix, never with a traceback. The pattern is checked the ways
detection will use it: Python ``regex`` for spans, RE2 (pyarrow) for whole
cells and text prefilters, and the pattern-facts parser for value gates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.compute as pc
import regex
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
)

from detectors import validators as v
from detectors.entities import registry
from detectors.entities.spec import STRONG, EntitySpec, HeaderWords
from detectors.headers import english_words
from detectors.patternfacts import pattern_needs, value_gate
from detectors.recognizers import PiiRecognizer
from scanner.yamlfile import line_of, load_model, validation_problem

# Upper snake case, as built-in names are (EMPLOYEE_ID, CUSTOMER_NO2).
NAME_RE = r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"
# Longest accepted pattern: a customer-number shape is short; a huge one is a mistake (or an attack on RE2).
MAX_PATTERN = 500
# A header of more words than a phrase match looks at (headers.py matches up to three) could never match.
MAX_HEADER_WORDS = 3
# Where a span may start and end in free text: not inside a longer run of letters and digits.
_SPAN = r"(?<![0-9A-Za-z])(?:{})(?![0-9A-Za-z])"
_CELL = r"^(?:{})$"
# Custom entities rank after every built-in, in the order they are registered.
CUSTOM_RANK = 1000


def _alnum(value: str) -> str:
    """Letters and digits only: validators ignore separators people write (1234-5678)."""
    return "".join(ch for ch in value if ch.isascii() and ch.isalnum())


def luhn(value: str) -> bool:
    """Luhn (mod 10) over the digits: card numbers, IMEIs, many customer numbers."""
    digits = _alnum(value)
    return len(digits) >= 2 and v.luhn_ok(digits)


def mod11(value: str) -> bool:
    """ISO 7064 MOD 11-2 (the resident ID's check): digits, then a check digit or X."""
    code = _alnum(value).upper()
    if len(code) < 2 or not code[:-1].isdigit() or not (code[-1].isdigit() or code[-1] == "X"):
        return False
    p = 0
    for ch in code[:-1]:
        p = ((p + int(ch)) * 2) % 11
    check = (12 - p) % 11
    return code[-1] == ("X" if check == 10 else str(check))


def mod97(value: str) -> bool:
    """ISO 7064 MOD 97-10 (IBAN): letters count 10-35; an IBAN's country and check move to the end."""
    code = _alnum(value).upper()
    if len(code) < 3:
        return False
    if re.match(r"^[A-Z]{2}\d{2}", code):
        code = code[4:] + code[:4]
    return int("".join(str(int(ch, 36)) for ch in code)) % 97 == 1


def _always(value: str) -> bool:
    """No validator: the pattern alone decides (with the column's hit ratio and header)."""
    return True


# Built-in validators a YAML entity may name, and the share of pattern matches each passes by chance.
VALIDATORS: dict[str, tuple[Callable[[str], bool], float]] = {
    "luhn": (luhn, 0.1),
    "mod11": (mod11, 1 / 11),
    "mod97": (mod97, 1 / 97),
    "cn_id": (v.is_valid_resident_id, 0.01),
    "uscc": (v.is_valid_uscc, 1 / 31),
}
ValidatorName = Literal["luhn", "mod11", "mod97", "cn_id", "uscc"]


class EntitiesFileError(ValueError):
    """A custom entities file that cannot be used: ``FILE:LINE: entities.NAME.FIELD: problem``."""


def check_pattern(pattern: str) -> None:
    """Raise ValueError unless the pattern works in every engine detection runs it in.

    Spans use Python ``regex`` (Presidio), cells and prefilters RE2 through
    pyarrow (no lookarounds, no back-references), value gates Python's own
    parser (which may decline a pattern, never fail on it); a pattern that matches the empty string would make every empty
    cell a hit.
    """
    if not pattern.strip():
        raise ValueError("empty pattern")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern longer than {MAX_PATTERN} characters")
    try:
        span = regex.compile(_SPAN.format(pattern))
    except Exception as exc:  # regex.error, OverflowError, RecursionError: all a bad pattern
        raise ValueError(f"invalid regular expression ({type(exc).__name__})") from None
    if span.fullmatch(""):
        raise ValueError("pattern matches the empty string")
    try:
        pc.match_substring_regex(pa.array([""], type=pa.string()), _CELL.format(pattern))
        pc.match_substring_regex(pa.array([""], type=pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ValueError("not RE2 syntax (no lookarounds or back-references)") from None
    try:  # the facts parser gives up (None) on what Python's re cannot read; anything worse is refused
        value_gate(_CELL.format(pattern))
        pattern_needs(_CELL.format(pattern))
    except Exception as exc:
        raise ValueError(f"pattern not supported ({type(exc).__name__})") from None


class _Mask(BaseModel):
    """Default mask shape: letters and digits kept at each end."""

    model_config = ConfigDict(extra="forbid")
    keep_first: StrictInt = Field(default=1, ge=0, le=64)
    keep_last: StrictInt = Field(default=1, ge=0, le=64)


class _Entity(BaseModel):
    """One entity block of the file."""

    model_config = ConfigDict(extra="forbid")
    level: StrictInt = Field(ge=1, le=4)
    category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]
    pattern: str
    validator: ValidatorName | None = None
    headers: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(default_factory=list)
    mask: _Mask | None = None
    label_zh: str | None = None
    label_en: str | None = None
    sensitive: StrictBool = False

    @field_validator("pattern")
    @classmethod
    def _pattern_works(cls, value: str) -> str:
        check_pattern(value)
        return value

    @field_validator("headers")
    @classmethod
    def _headers_match(cls, value: list[str]) -> list[str]:
        for word in value:
            if not _is_han(word) and not 1 <= len(english_words(word)) <= MAX_HEADER_WORDS:
                raise ValueError(f"a header needs Chinese text or 1 to {MAX_HEADER_WORDS} English words")
        return value


class _File(BaseModel):
    """The whole file: ``version: 1`` and ``entities: {NAME: {...}}``."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    entities: dict[str, _Entity]


def _is_han(word: str) -> bool:
    """Whether a header word is matched as Chinese (a substring) rather than as English words."""
    return any(not ch.isascii() for ch in word)


def header_words(words: Iterable[str]) -> HeaderWords:
    """Header words as the header tables take them: Chinese as substrings, English as words or phrases."""
    zh: list[tuple[str, float]] = []
    en: list[tuple[str, float]] = []
    phrases: list[tuple[tuple[str, ...], float]] = []
    for word in words:
        if _is_han(word):
            zh.append((word.upper(), STRONG))  # headers.py matches Chinese keywords on the upper-cased name
            continue
        parts = tuple(english_words(word))
        if len(parts) == 1:
            en.append((parts[0], STRONG))
        elif parts:
            phrases.append((parts, STRONG))
    return HeaderWords(zh=tuple(zh), en=tuple(en), phrases=tuple(phrases))


def make_recognizer(name: str, pattern: str, validator: str | None, context: Iterable[str]) -> type[PiiRecognizer]:
    """A recognizer class for a pattern and an optional built-in validator (the pattern must pass check_pattern)."""
    check, chance = VALIDATORS[validator] if validator else (_always, 0.05)
    attrs = {
        "__doc__": f"Custom entity {name}: the pattern from its entities file"
                   + (f", validated by {validator}." if validator else "."),
        "__module__": __name__,
        "ENTITY": name,
        "PATTERNS": [(name.lower(), _SPAN.format(pattern), 0.5)],
        "CELL_REGEX": _CELL.format(pattern),
        "TEXT_PREFILTER": pattern,
        "CONTEXT": list(context),
        "CHANCE": chance,
        "STRENGTH": 0.9,
        "validate_value": staticmethod(check),
    }
    camel = "".join(part.capitalize() for part in name.split("_"))
    return type(f"Custom{camel}Recognizer", (PiiRecognizer,), attrs)


def spec_from(name: str, entity: _Entity, rank: int = CUSTOM_RANK) -> EntitySpec:
    """The spec of one validated entity block."""
    return EntitySpec(
        name=name,
        level=entity.level,
        category=entity.category,
        label_zh=entity.label_zh or name,
        label_en=entity.label_en or name,
        recognizer=make_recognizer(name, entity.pattern, entity.validator, entity.headers),
        rank=rank,
        sensitive=entity.sensitive,
        headers=header_words(entity.headers),
        mask=(entity.mask.keep_first, entity.mask.keep_last) if entity.mask else None,
        definition=json.dumps(entity.model_dump(mode="json"), ensure_ascii=False, sort_keys=True),
    )


def load_entities_file(path: str | Path) -> list[EntitySpec]:
    """The entities a YAML file declares, validated; EntitiesFileError naming file:line:field otherwise.

    A name already registered (a built-in such as CN_USCC) is refused: a
    custom entity adds to piiwarden, it does not silently replace its grading.
    """
    path = Path(path)
    try:
        root, parsed = load_model(path, "entities file", EntitiesFileError, _File,
                                  ": not a mapping (expected version: 1 and entities:)")
    except RecursionError:  # PyYAML composes nested collections recursively
        raise EntitiesFileError(f"{path}: not a usable entities file (nested too deeply)") from None
    specs = []
    for name, entity in parsed.entities.items():
        if not re.match(NAME_RE, name):
            raise EntitiesFileError(f"{path}:{_key_line(root, name)}: entities.{name}: "
                                    "a name is upper snake case (EMPLOYEE_ID)")
        if registry.find(name) is not None:
            raise EntitiesFileError(f"{path}:{_key_line(root, name)}: entities.{name}: "
                                    "already an entity (built-in or registered): choose another name")
        specs.append(spec_from(name, entity))
    return specs


def _key_line(root: yaml.Node | None, name: str) -> int | None:
    """Line of an entity's name under ``entities:`` (line_of gives the line of its block)."""
    block = root.value if isinstance(root, yaml.MappingNode) else []
    entities = next((value for key, value in block if key.value == "entities"), None)
    if isinstance(entities, yaml.MappingNode):
        for key, _ in entities.value:
            if key.value == name:
                return int(key.start_mark.line) + 1
    return line_of(root, ("entities", name))


def register_custom(specs: Iterable[EntitySpec]) -> list[EntitySpec]:
    """Register custom entities for the rest of the process (``registry.scoped`` for one run)."""
    return [registry.register(spec) for spec in specs]


# ------------------------------------------------- entities as plain data ----
# A YAML entity's spec holds a generated recognizer class, which another process cannot import. Its
# ``definition`` (the validated block) is plain data: Spark executors and a later ``verify`` rebuild
# the same entity from it, through the same validation as the file.


def definitions(specs: Iterable[EntitySpec]) -> dict[str, dict[str, object] | None]:
    """Name -> entities-file block of each spec, in the order given (None: an entity defined in code)."""
    return {spec.name: json.loads(spec.definition) if spec.definition else None for spec in specs}


def specs_from_definitions(blocks: Mapping[str, object], source: str) -> list[EntitySpec]:
    """Entities rebuilt from entities-file blocks (``definitions``), validated as a file is.

    ``source`` names where the blocks came from in the one-line
    ``EntitiesFileError`` (``anonymization.json: entities.X.pattern: ...``).
    A name already registered is refused, as in ``load_entities_file``.
    """
    try:
        parsed = _File.model_validate({"version": 1, "entities": dict(blocks)})
    except ValidationError as exc:
        raise EntitiesFileError(f"{source}: {validation_problem(exc)[1]}") from None
    specs = []
    for name, entity in parsed.entities.items():
        if not re.match(NAME_RE, name):
            raise EntitiesFileError(f"{source}: entities.{name}: a name is upper snake case (EMPLOYEE_ID)")
        if registry.find(name) is not None:
            raise EntitiesFileError(f"{source}: entities.{name}: already an entity (built-in or registered)")
        specs.append(spec_from(name, entity))
    return specs


# What ``sync`` registered in this process, by name, with the definition it was built from.
_synced: dict[str, str] = {}


def sync(blocks: Mapping[str, str]) -> None:
    """Make this process's YAML entities the given ones (name -> ``definition``), in that order.

    For a process that serves many runs and never read their files (a Spark
    Python worker is reused across tasks and jobs): a run with other custom
    entities than the last one must not see the last one's. Nothing changes
    (no cache is invalidated) while the definitions stay the same. Entities
    the process already has with the same definition (the driver's own, when
    the function runs in the driver) are left alone.
    """
    wanted = {name: text for name, text in blocks.items()
              if (current := registry.find(name)) is None or name in _synced
              or current.definition != text}
    if list(wanted.items()) == list(_synced.items()):
        return
    for name in reversed(list(_synced)):
        registry.unregister(name)
    _synced.clear()
    specs = specs_from_definitions({name: json.loads(text) for name, text in wanted.items()}, "driver entities")
    for spec in specs:
        registry.register(spec)
        _synced[spec.name] = wanted[spec.name]

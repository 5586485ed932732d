"""Which cells of a classified column are the entity, whatever shape they are written in.

A column that scan classifies as an entity holds that entity in many
shapes: ``430104 19821125 9301``, full-width digits, ``+86``/``0086``,
a lower-case ``x``, a label in the cell (``身份证:``). The whole-cell
pattern only catches the canonical shape, and the free-text recognizers
only the shapes they were written for, so anything else used to stay in
clear. The rule here is the reverse: in a classified column every
non-empty cell is transformed unless it was checked and is *not* the
entity. ``anonymize`` and ``verify`` share this module so that what one
transforms is exactly what the other checks.

Verdicts for one cell (``judge``):

* ``entity``: NFKC, a leading label stripped, separators and the country
  code removed, it matches the entity's (hinted) cell pattern and passes
  its validator; the operator runs on that normalized ``form``;
* ``whole``: the entity has no shape to check (a password, an address, a
  name): every non-empty cell is the entity (placeholders aside, except for
  credentials: any non-empty password cell is a secret);
* ``placeholder``: 无, N/A, -, null ... (checked, not the entity);
* ``text``: something else, to be looked at by the free-text path; if that
  finds nothing, ``identifier_like`` decides between "a malformed identifier,
  transform the whole cell" and "checked, not the entity".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import regex

from detectors.entities.registry import RoleSet
from detectors.placeholders import is_placeholder_word
from detectors.shapes import LABEL, SEPARATOR_CHARS, SEPARATORS, clean_text, normalize_value

if TYPE_CHECKING:  # for annotations only: _checker imports the detection stack on first use
    from detectors.recognizers import PiiRecognizer

# Entities whose values have no checkable shape: a column of them holds the entity in every cell.
WHOLE_CELL = RoleSet(lambda spec: spec.whole_cell)
# Whole-cell entities whose placeholders are secrets too (a password "none" is a password).
NO_PLACEHOLDER = RoleSet(lambda spec: spec.secret)

# Cells made only of punctuation, mask characters or whitespace (``***``, ``-/-``): nothing to hide.
_ONLY_MARKS = regex.compile(r"^[\p{P}\p{S}\s*xX•]*$")
# Three mask characters in a row: what mask leaves (``138******78``, ``z***@qq.com``).
_MASK_RUN = regex.compile(r"[*＊•●]{3,}")
# A phone extension at the end (x65823, ext. 12, 转 8001, #12).
_EXTENSION = regex.compile(r"\s*(?:x|ext\.?|extension|转|分机|#)\s*\d{1,6}$", regex.IGNORECASE)
# Six or more digits, possibly split by separators: what is left of an identifier written oddly.
_DIGIT_RUN = regex.compile(f"\\d(?:[{SEPARATOR_CHARS}]*\\d){{5,}}")


@dataclass(frozen=True)
class Verdict:
    """What one cell is, for one column entity; ``form`` is the value the operator should see."""

    kind: str  # "entity" | "whole" | "placeholder" | "text"
    form: str = ""
    label: str = ""  # kept before the transformed form (身份证:)
    extension: str = ""  # a phone extension cut off the form, kept after it with its digits hidden


def holds_entity_cells(name: str, entity: str | None, free_text: bool) -> bool:
    """Whether a column is judged cell by cell: structured, or free text whose header names its entity.

    The detectors call a column free text when too few cells match the
    entity's cell pattern; an ``address`` column full of Faker's ``3161
    James Plains Suite 137, ...`` is still a column of addresses, not prose.
    """
    if not entity:
        return False
    if not free_text:
        return True
    from detectors.headers import header_hints

    return entity in header_hints(name)


def nfkc(value: str) -> str:
    """Full-width digits and letters to ASCII, compatibility forms folded, invisible characters dropped.

    Detection's cleaning (detectors/shapes.py): a NUL or zero-width character
    inside an ID hides it from no one, so it hides it from none of scan,
    anonymize and verify.
    """
    return clean_text(value)


def is_placeholder(value: str) -> bool:
    """无, N/A, -, ``***`` and the like: a cell that says the value is missing."""
    v = nfkc(value).strip()
    return is_placeholder_word(v) or bool(_ONLY_MARKS.match(v))


def identifier_like(value: str) -> bool:
    """Whether a cell still holds six or more digits in a row (separators allowed) after NFKC."""
    return bool(_DIGIT_RUN.search(nfkc(value)))


@functools.lru_cache(maxsize=64)
def _checker(entity: str) -> tuple[regex.Pattern, PiiRecognizer] | None:
    """(compiled hinted cell pattern, recognizer) of an entity, None when no recognizer knows it."""
    # Imported on first use: detectors.classify builds Presidio's analyzer stack (about 0.6 s), which
    # importers that only ask is_placeholder or identifier_like never need.
    from detectors.classify import shared_recognizers

    for recognizer in shared_recognizers():
        if recognizer.ENTITY == entity:
            return regex.compile(recognizer.cell_regex(True)), recognizer
    return None


def _forms(value: str) -> list[tuple[str, str, str]]:
    """(label, candidate, extension) triples in the order they are tried: as written, then ever more normalized."""
    base = nfkc(value).strip()
    heads = [("", base)]
    m = LABEL.match(base)
    if m and m.end() < len(base):
        heads.append((base[: m.end()], base[m.end():]))
    out: list[tuple[str, str, str]] = []
    for label, head in heads:
        tails = [(head, "")]
        ext = _EXTENSION.search(head)
        if ext and ext.start() > 0:
            tails.append((head[: ext.start()], head[ext.start():]))
        for form, tail in tails:
            variants = [form, "+" + form[2:]] if form.startswith("00") else [form]
            for variant in variants:
                out.append((label, variant, tail))
                compact = SEPARATORS.sub("", variant)
                out.append((label, compact, tail))
                for prefix in ("+86", "0086"):
                    if compact.startswith(prefix):
                        out.append((label, compact[len(prefix):], tail))
                if compact != compact.upper():
                    out.append((label, compact.upper(), tail))
    seen: set[str] = set()
    kept: list[tuple[str, str, str]] = []
    for lab, f, t in out:  # the first triple of each non-empty form
        if f and f not in seen:
            seen.add(f)
            kept.append((lab, f, t))
    return kept


def matches_entity(entity: str, form: str) -> bool:
    """Whether one normalized form is the entity: its cell pattern and its validator agree."""
    checker = _checker(entity)
    if checker is None:
        return False
    pattern, recognizer = checker
    if not pattern.search(form):
        return False
    try:
        return bool(recognizer.validate_value(form))
    except Exception:  # noqa: BLE001 - a validator that chokes on a shape has said "no"
        return False


def judge(entity: str | None, value: str) -> Verdict:
    """The verdict for one non-empty cell of a column classified as ``entity``."""
    if entity in NO_PLACEHOLDER:
        return Verdict("whole", value)
    if is_placeholder(value):
        return Verdict("placeholder")
    if entity in WHOLE_CELL:
        return Verdict("whole", value)
    if entity:
        for label, form, extension in _forms(value):
            if matches_entity(entity, form):
                return Verdict("entity", form, label, regex.sub(r"\d", "*", extension))
        canonical = normalize_value(value, entity)  # the shapes scan accepts (detectors/shapes.py)
        if canonical and matches_entity(entity, canonical):
            return Verdict("entity", canonical)
    return Verdict("text")


def clear_in_cell(entity: str, value: str) -> bool:
    """Whether a cell of an anonymized column still holds the entity in clear, in any accepted shape.

    A masked value (a run of three mask characters: ``z***@qq.com``) is not
    clear even where the validator would accept its shape.
    """
    if _MASK_RUN.search(value):
        return False
    if entity in NO_PLACEHOLDER:  # a secret: clear unless hashed, masked or encrypted
        from detectors.validators import is_clear_credential
        from scanner.anonymize.crypto import TOKEN_PREFIX

        v = value.strip()
        return bool(v) and not v.startswith(TOKEN_PREFIX) and is_clear_credential(v)
    if entity in WHOLE_CELL:
        return any(matches_entity(entity, form) for _, form, _ in _forms(value)[:2])
    if any(matches_entity(entity, form) for _, form, _ in _forms(value)):
        return True
    canonical = normalize_value(value, entity)  # the shapes scan accepts (detectors/shapes.py)
    return canonical is not None and canonical != "" and matches_entity(entity, canonical)


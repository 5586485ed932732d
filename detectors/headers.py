"""Header and column-comment hints: what a column's name says it holds.

A hint is evidence, never a verdict: classification still needs the values to
agree. Names come as Chinese (身份证号), English in any case style (idCard,
ID_NO, mobile-phone) or pinyin initials (sfzh, sjhm). In both languages the
head word comes last (监护人电话 is a phone, 联系人 a name, sender_tel a
phone), so the rightmost keyword decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from detectors.entities import registry, spec

STRONG, WEAK = spec.STRONG, spec.WEAK

# Words that name no entity although they contain one's keyword: matched like the entities'
# words, they end the search with no hint (a MAC地址 is no address, a user_name no person's name).
NOT_ENTITY_ZH: tuple[str, ...] = ("MAC地址", "网址")
NOT_ENTITY_PHRASES: tuple[tuple[str, ...], ...] = (
    ("user", "name"),
    ("username",),
    ("file", "name"),
    ("filename",),
    ("host", "name"),
    ("hostname",),
    ("product", "name"),
    ("item", "name"),
    ("sku", "name"),
    ("company", "name"),
    ("table", "name"),
    ("column", "name"),
    ("dept", "name"),
    ("department", "name"),
    ("app", "name"),
    ("mac", "address"),
    ("gift", "card"),
    ("card", "type"),
    ("card", "level"),
)

Hint = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class HeaderTables:
    """Every registered entity's header words gathered per word: word -> (entities, weight).

    Entities sharing a word (证件号: ID, passport, permit) are listed in rank
    order, which is the order their hints are reported in.
    """

    zh: list[tuple[str, tuple[str, ...], float]]
    en_words: dict[str, Hint]
    en_phrases: dict[tuple[str, ...], Hint | None]
    pinyin: dict[str, Hint]


def _gather(pairs: list[tuple[object, str, float]]) -> dict:
    """word -> (entities in rank order, weight); the first entity's weight stands for a shared word."""
    out: dict = {}
    for word, entity, weight in pairs:
        entities, first = out.get(word, ((), weight))
        out[word] = ((*entities, entity), first)
    return out


@lru_cache(maxsize=4)
def header_tables(generation: int) -> HeaderTables:
    """The tables for one registry generation (rebuilt when entities are registered)."""
    specs = registry.all_specs()
    zh = _gather([(w, s.name, wt) for s in specs for w, wt in s.headers.zh])
    phrases: dict[tuple[str, ...], Hint | None] = {p: None for p in NOT_ENTITY_PHRASES}
    phrases.update(_gather([(p, s.name, wt) for s in specs for p, wt in s.headers.phrases]))
    return HeaderTables(
        # A word an entity claims (MAC地址 for MAC addresses) names that entity, as with phrases.
        zh=[(w, (), STRONG) for w in NOT_ENTITY_ZH if w not in zh] + [(w, es, wt) for w, (es, wt) in zh.items()],
        en_words=_gather([(w, s.name, wt) for s in specs for w, wt in s.headers.en]),
        en_phrases=phrases,
        pinyin=_gather([(w, s.name, wt) for s in specs for w, wt in s.headers.pinyin]),
    )


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def english_words(name: str) -> list[str]:
    """Lower-case words of a name in snake, kebab, camel or Pascal case."""
    ascii_part = re.sub(r"[^\x00-\x7f]", " ", name)
    words: list[str] = []
    for chunk in _NON_WORD.split(ascii_part):
        words.extend(w.lower() for w in _CAMEL.split(chunk) if w)
    return words


def _zh_hint(text: str) -> tuple[int, dict[str, float]] | None:
    """Rightmost Chinese keyword (longest at a tie) and its entities."""
    best: tuple[int, int, tuple[str, ...], float] | None = None
    upper = text.upper()
    for keyword, entities, weight in header_tables(registry.generation()).zh:
        pos = upper.rfind(keyword)
        if keyword == "IP":
            # only a standalone IP inside Chinese text (IP地址), not 'ZIP' or 'SHIPPING'
            m = list(re.finditer(r"(?<![A-Z])IP(?![A-Z])", upper))
            pos = m[-1].start() if m else -1
        if pos < 0:
            continue
        key = (pos + len(keyword), len(keyword))
        if best is None or key > (best[0], best[1]):
            best = (key[0], key[1], entities, weight)
    if best is None:
        return None
    return best[0], {e: best[3] for e in best[2]}


def _en_hint(words: list[str]) -> dict[str, float] | None:
    """Hint from English words or pinyin initials: the rightmost match wins."""
    tables = header_tables(registry.generation())
    compact = "".join(words)
    if compact in tables.pinyin:
        entities, weight = tables.pinyin[compact]
        return {e: weight for e in entities}
    for end in range(len(words), 0, -1):
        for size in (3, 2, 1):
            if end - size < 0:
                continue
            phrase = tuple(words[end - size : end])
            if phrase in tables.en_phrases:
                found = tables.en_phrases[phrase]
                return {e: found[1] for e in found[0]} if found else {}
        word = words[end - 1]
        if word in tables.en_words:
            entities, weight = tables.en_words[word]
            return {e: weight for e in entities}
        if word in tables.pinyin and len(words) > 1:
            entities, weight = tables.pinyin[word]
            return {e: weight for e in entities}
    return None


def header_hints(name: str, comment: str | None = None) -> dict[str, float]:
    """Entities a column's name (leaf of a dotted path) and comment point to, with weights.

    An empty dict means no hint. The comment is read the same way and its
    hints are merged, keeping the stronger weight. Cached per registry
    generation: registering an entity changes what a header says.
    """
    return _header_hints(name, comment, registry.generation())


@lru_cache(maxsize=4096)
def _header_hints(name: str, comment: str | None, generation: int) -> dict[str, float]:
    """header_hints for one registry generation (the generation is only the cache key)."""
    hints: dict[str, float] = {}
    for text in (name.rsplit(".", 1)[-1], comment or ""):
        if not text:
            continue
        found = _zh_hint(text)
        if found is None:
            found_en = _en_hint(english_words(text))
            found = (0, found_en) if found_en is not None else None
        if found is None:
            continue
        for entity, weight in found[1].items():
            hints[entity] = max(hints.get(entity, 0.0), weight)
    return hints

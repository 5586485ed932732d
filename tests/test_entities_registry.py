"""The entity registry: one file per built-in entity, and generic code that names none of them.

These pin the refactor's promises: every fact about an entity lives in its
own file, the derived views (grades, roles, header tables) are what they
were, and registering an entity reaches every view at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detectors.entities import EntitySpec, HeaderWords, registry
from detectors.entities.custom import make_recognizer
from detectors.headers import header_hints
from detectors.masking import default_keep, mask_value
from detectors.shapes import ENTITY_SHAPES
from detectors.taxonomy import ENTITIES, ENTITY_NAMES, category_of, level_of
from scanner.anonymize.crypto import normalize_for_hash
from scanner.anonymize.shapes import NO_PLACEHOLDER, WHOLE_CELL
from scanner.anonymize.verify import DIGIT_RUNS, MIN_DIGITS
from scanner.policy.checks import AGE_ENTITIES, AGE_IN_ID

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ("CN_RESIDENT_ID", "BANK_CARD", "CN_MOBILE_PHONE", "CN_LANDLINE_PHONE", "EMAIL_ADDRESS", "IP_ADDRESS",
           "CN_USCC", "US_SSN", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "CN_LICENSE_PLATE", "PERSON_NAME", "ADDRESS",
           "DATE_OF_BIRTH", "PHONE_NUMBER", "CREDENTIAL")
# Files of other parts of the code that still name an entity, and why (to move with their owners' rework).
STILL_NAMING: dict[str, set[str]] = {}  # files outside detectors/entities/ allowed to name an entity: none


def test_builtins_in_recognizer_order() -> None:
    """Rank order is the order recognizers always ran in: findings list hints and entities in it."""
    assert registry.names()[: len(BUILTIN)] == BUILTIN


@pytest.mark.parametrize("name", BUILTIN)
def test_each_builtin_is_one_file(name: str) -> None:
    spec = registry.get(name)
    assert spec.recognizer is not None and spec.recognizer.ENTITY == name
    module = spec.recognizer.__module__
    assert module == f"detectors.entities.{name.lower()}"
    source = (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    assert "\nSPEC = EntitySpec(" in source


def test_entity_names_appear_in_their_own_file_only() -> None:
    """The done criterion of issue 15: grep '"CN_USCC"' over the packages finds one entity file."""
    literal = re.compile(r"[\"'](" + "|".join(BUILTIN) + r")[\"']")
    stray = []
    for package in ("scanner", "detectors", "reports"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for name in set(literal.findall(path.read_text(encoding="utf-8"))):
                if rel != f"detectors/entities/{name.lower()}.py" and name not in STILL_NAMING.get(rel, ()):
                    stray.append(f"{rel}: {name}")
    assert stray == []


def test_grades_and_pipl_sensitivity() -> None:
    assert level_of("CN_USCC") == 1 and level_of("CN_USCC", "92310115MA1GT3K581") == 2
    assert level_of("CN_USCC", "91110000600037341L") == 1 and level_of(None) == 0
    assert category_of("BANK_CARD") == "financial" and ENTITIES["CN_MOBILE_PHONE"].label_zh == "手机号"
    sensitive = {n for n in BUILTIN if registry.is_sensitive(n)}
    assert sensitive == {"CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "US_SSN", "BANK_CARD", "CREDENTIAL"}
    assert not registry.is_sensitive(None) and not registry.is_sensitive("NO_SUCH_ENTITY")


def test_roles_are_what_the_name_lists_were() -> None:
    assert set(AGE_ENTITIES) == {"CN_RESIDENT_ID", "DATE_OF_BIRTH"} and set(AGE_IN_ID) == {"CN_RESIDENT_ID"}
    # The vocabulary entities of the second round (tests/test_entities_added.py) have no checkable shape either.
    assert set(WHOLE_CELL) == {"CREDENTIAL", "ADDRESS", "PERSON_NAME", "RELIGION", "ETHNICITY", "HEALTH",
                               "FINANCIAL_STATUS"} and set(NO_PLACEHOLDER) == {"CREDENTIAL"}
    assert set(DIGIT_RUNS) == {"CN_RESIDENT_ID", "BANK_CARD", "CN_MOBILE_PHONE", "US_SSN", "PHONE_NUMBER",
                               "CN_LANDLINE_PHONE"}
    assert MIN_DIGITS == {"CN_RESIDENT_ID": 15, "BANK_CARD": 13, "CN_MOBILE_PHONE": 11, "US_SSN": 9,
                          "PHONE_NUMBER": 7, "CN_LANDLINE_PHONE": 7, "DATE_OF_BIRTH": 6}
    assert dict(ENTITY_SHAPES) == {"CN_RESIDENT_ID": "compact", "BANK_CARD": "compact", "CN_MOBILE_PHONE": "compact",
                                   "CN_USCC": "compact", "US_SSN": "dashed", "CN_PASSPORT": "compact",
                                   "CN_TRAVEL_PERMIT": "compact"}
    assert default_keep("CN_MOBILE_PHONE") == (3, 2) and default_keep("EMAIL_ADDRESS") == (1, 1)
    assert default_keep(None) == (1, 1)


def test_shared_header_words_list_entities_in_rank_order() -> None:
    assert list(header_hints("fax")) == ["CN_LANDLINE_PHONE", "PHONE_NUMBER"]
    assert list(header_hints("证件号码")) == ["CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT"]
    # A MAC地址 is no postal address; since the second round it names the MAC_ADDRESS entity.
    assert header_hints("MAC地址") == {"MAC_ADDRESS": 1.0} and header_hints("user_name") == {}


def test_registration_reaches_every_view() -> None:
    spec = EntitySpec(name="TEST_TICKET", level=2, category="identity", label_zh="工单号", label_en="Ticket",
                      recognizer=make_recognizer("TEST_TICKET", r"T-\d{6}", "luhn", []),
                      headers=HeaderWords(zh=(("工单号", 1.0),), en=(("ticket", 1.0),)), mask=(2, 1))
    before = registry.generation()
    with registry.scoped([spec]):
        assert registry.generation() != before
        assert "TEST_TICKET" in ENTITY_NAMES and ENTITIES["TEST_TICKET"].level == 2
        assert registry.names()[-1] == "TEST_TICKET"
        assert header_hints("工单号") == {"TEST_TICKET": 1.0}
        assert header_hints("Ticket") == {"TEST_TICKET": 1.0}
        assert mask_value("TEST_TICKET", "T-123455") == "T-1****5"
        assert normalize_for_hash("TEST_TICKET", " T-1 ") == "T-1"
        with pytest.raises(registry.EntityRegistryError):
            registry.register(spec)
    assert "TEST_TICKET" not in ENTITY_NAMES and header_hints("工单号") == {}
    with pytest.raises(KeyError):
        level_of("TEST_TICKET")

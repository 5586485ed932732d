"""What piiwarden knows about one entity, in one frozen record.

Before this record, adding an entity meant edits in a dozen modules (taxonomy,
recognizers, headers, masking, shapes, hashing, surrogates...), each keeping its
own table keyed by the entity's name. Now every such fact is a field here and
the generic code reads it through ``detectors.entities.registry``, so an
entity is one file (``detectors/entities/<name>.py``), one YAML block, or one
entry point.

Behaviour that anonymization implements (hash normalization, surrogates,
generalization) is named by a *kind* string rather than a function: the
detectors package sits below ``scanner`` and must not import it, and a kind
is what a custom entity in YAML can name too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the recognizer base imports Presidio: only its type is needed here
    import numpy as np
    import pyarrow as pa

    from detectors.recognizers import PiiRecognizer, TextRecognizer

# Header weights: a strong word names the entity (身份证号), a weak one only suggests it (账号).
STRONG, WEAK = 1.0, 0.5

# Masking styles the generic maskers implement (detectors/masking.py, scanner/anonymize/masks.py).
MASK_CHARS = "chars"  # keep_first/keep_last over letters and digits
MASK_EMAIL = "email"  # z***@qq.com
MASK_IP = "ip"  # keep the network half
MASK_ADDRESS = "address"  # keep province/city/district
MASK_NATIONAL = "national"  # a +86 country code stays outside the kept counts
MASK_SECRET = "secret"  # everything but whitespace goes
MASK_STYLES = frozenset({MASK_CHARS, MASK_EMAIL, MASK_IP, MASK_ADDRESS, MASK_NATIONAL, MASK_SECRET})

# Hash normalizations (scanner/anonymize/crypto.py): what makes two spellings of one value join.
HASH_STRIP, HASH_PHONE, HASH_DIGITS, HASH_UPPER, HASH_LOWER = "strip", "phone", "digits", "upper", "lower"
HASH_NORMS = frozenset({HASH_STRIP, HASH_PHONE, HASH_DIGITS, HASH_UPPER, HASH_LOWER})

# Canonical shapes for second-chance normalization (detectors/shapes.py).
SHAPE_COMPACT, SHAPE_DASHED = "compact", "dashed"


@dataclass(frozen=True)
class HeaderWords:
    """Words in a column name or comment that point to the entity, each with a weight.

    ``zh`` are matched as substrings (the rightmost wins), ``en`` as whole
    words after case-style splitting, ``phrases`` as consecutive words
    (``("id", "no")``), ``pinyin`` as a whole word or the whole compact name.
    """

    zh: tuple[tuple[str, float], ...] = ()
    en: tuple[tuple[str, float], ...] = ()
    phrases: tuple[tuple[tuple[str, ...], float], ...] = ()
    pinyin: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class CheckChar:
    """A trailing check character: format-preserving encryption permutes the body and recomputes it.

    Without this an encrypted ID would fail its own checksum, and a pseudonym
    that fails validation is a broken join key downstream.
    """

    applies: Callable[[str], bool]  # whether a value has the checked shape
    compute: Callable[[str], str]  # the check character of a body (the value without it)


def _no_override(value: str) -> int | None:
    """Default: the level never depends on the value."""
    return None


@dataclass(frozen=True)
class EntitySpec:
    """One entity: grade, detection, header words and how anonymization treats it.

    ``rank`` orders entities wherever order shows in output (recognizers run
    and header hints are listed in rank order); built-ins use 0-999, custom
    entities come after them in registration order.
    """

    name: str
    level: int
    category: str
    label_zh: str
    label_en: str
    recognizer: type[PiiRecognizer] | None
    rank: int = 1000
    # PIPL Art. 28 sensitive personal information (separate consent, impact assessment).
    sensitive: bool = False
    # Extra Presidio recognizers for free text only (jieba's Chinese names), built per language.
    text_recognizers: tuple[Callable[[str], TextRecognizer], ...] = ()
    headers: HeaderWords = field(default_factory=HeaderWords)
    # Default (keep_first, keep_last) of a masked value; None: (1, 1).
    mask: tuple[int, int] | None = None
    mask_style: str = MASK_CHARS
    hash_norm: str = HASH_STRIP
    # Pseudonym generator kind (scanner/anonymize/surrogates.py); None: format-preserving encryption.
    surrogate: str | None = None
    # Generalization kind (scanner/anonymize/generalize.py); None: by the value's look (dates, ages).
    generalize: str | None = None
    # A check character format-preserving encryption keeps valid; None: every character is permuted.
    check_char: CheckChar | None = None
    # Canonical shape a cell is normalized to before a second look; None: no second chance.
    shape: str | None = None
    # The level a particular value has when it differs from ``level`` (a USCC of an individual business).
    level_for: Callable[[str], int | None] = _no_override
    # Roles generic code asks about instead of naming entities.
    tells_age: bool = False  # values give a person's age (minor_data)
    birth_date_in_value: bool = False  # the age is read from an ID number, not a date
    whole_cell: bool = False  # no checkable shape: a column of it holds the entity in every cell
    secret: bool = False  # a credential: placeholders are secrets too, masked whole
    person_name: bool = False  # the name entity free-text name finding and NER report
    postal_address: bool = False  # the address entity NER reports
    # Fewest digits a clear value has, for verify's digit-run check; None: not a digit-run entity.
    min_digits: int | None = None
    # Written as a run of digits (IDs, cards, phones): verify looks for such runs left in clear.
    digit_run: bool = False
    # Which identifier option of ``subject find|export|erase`` names a person by this entity
    # ("id", "mobile", "email", "card"); None: not a subject identifier.
    subject_kind: str | None = None
    # The entities-file block a YAML entity was built from (canonical JSON), None for code entities. Plain
    # data a process that never read the file rebuilds the entity from: a Spark executor, or a later
    # ``verify`` reading it back from anonymization.json.
    definition: str | None = None

    def value_level(self, sample_value: str | None) -> int:
        """The level of the entity for one of its values (``level`` unless the value says otherwise)."""
        if sample_value is not None:
            override = self.level_for(sample_value)
            if override is not None:
                return override
        return self.level

    def validate(self, value: str) -> bool:
        """The scalar validator: whether one candidate is a real value of the entity."""
        if self.recognizer is None:
            return False
        return bool(self.recognizer.validate_value(value))

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The vectorized validator over an Arrow string array (a boolean numpy mask)."""
        if self.recognizer is None:
            import numpy as np

            return np.zeros(len(values), dtype=bool)
        return self.recognizer().validate_array(values)

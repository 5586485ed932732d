"""Values that mean "nothing here": one vocabulary for detection, anonymize and verify.

ENTITIES.md: placeholders such as 无, 暂无, 不详, 未知, N/A, -, /, null are
empty values; they count neither for nor against an entity. Detection leaves
them out of every evidence ratio (a plate column that is mostly 无 is judged on
its real plates); anonymize leaves them as they are (there is nothing to
hide) and reports how many it left. Both must agree on what a placeholder is,
so the words live here only. Compared after trimming and lower-casing.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WORDS = frozenset({
    "无", "暂无", "空", "没有", "未知", "不详", "未填", "未提供", "拒绝提供", "保密", "略", "待定", "待补充", "缺失",
    "n/a", "na", "n.a.", "none", "null", "nil", "nan", "unknown", "tbd", "todo", "not provided", "no", "empty",
    "redacted", "withheld", "(none)", "(null)", "<null>", "-", "--", "---", "—", "——", "/", "\\", ".", "..", "...",
    "?", "??", "0",
})
_VALUE_SET = pa.array(sorted(WORDS), type=pa.string())
_LONGEST = max(len(w) for w in WORDS)


def is_placeholder_word(text: str) -> bool:
    """Whether one (already cleaned) cell is a placeholder word."""
    return text.strip().lower() in WORDS


def placeholder_mask(values: pa.Array) -> np.ndarray:
    """Which values of a string array are placeholders, vectorized (a length gate first: most values are longer)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    short = np.asarray(pc.fill_null(pc.less_equal(pc.utf8_length(values), _LONGEST), False))
    if not short.any():
        return short
    words = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    return short & np.asarray(pc.fill_null(pc.is_in(words, value_set=_VALUE_SET), False))

"""Regenerate detectors/data/cn_given_chars.txt: how often each character ends a person name.

Free-text name spotting (detectors/cnnames.py) proposes a surname and the
one or two characters after it; whether those characters look like a given
name is judged by how often they appear after the surname in the person
names (POS ``nr``/``nrfg``/``nrt``) of jieba's dictionary, about 50,000
entries. That source is independent of the evaluation's name lists
(bench/names_eval.py uses Faker's), so the figures measure generalisation.
Function characters (的, 是, 说, 来 ...) are left out whatever their count:
a sentence puts them right after a name (王洋来电), and a given name made of
them would be read as the name plus a verb.
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.validators import cn_surnames, name_shaped  # noqa: E402

HEADER = "# character count: given-name characters of jieba's person names (scripts/make_given_chars.py)\n"
# Characters that follow names in sentences (particles, pronouns, verbs of speech and contact, time words).
FUNCTION_CHARS = set(
    "的了是在和与及等说称电来去到于已也都还又对将因被把向从这那们个不没有就吗呢吧啊之其我你他她它并或但而所以为"
    "给让请由跟同年月日号时分元次称讲问答找叫打拨收寄送交办签要会能该把里上下前后内外今昨点"
)


def counts() -> collections.Counter[str]:
    """Given-name characters of jieba's name-shaped person-name entries, counted."""
    import jieba  # only needed to regenerate

    compound, _single = cn_surnames()
    out: collections.Counter[str] = collections.Counter()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, _freq, tag = line.split()
            if tag.startswith("nr") and name_shaped(word):
                given = word[2:] if word[:2] in compound and len(word) in (3, 4) else word[1:]
                out.update(c for c in given if c not in FUNCTION_CHARS)
    return out


def main(target: Path) -> None:
    rows = sorted(counts().items(), key=lambda kv: (-kv[1], kv[0]))
    target.write_text(HEADER + "\n".join(f"{c} {n}" for c, n in rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "detectors/data/cn_given_chars.txt"))

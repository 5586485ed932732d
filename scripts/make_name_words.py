"""Regenerate detectors/data/cn_name_shaped_words.txt: jieba dictionary words shaped like Chinese names.

A 2-4 character value starting with a surname is still no name when it is
an ordinary word (黄金, 江苏, 谢谢): is_chinese_name rejects every word of
jieba's dictionary. Only the dictionary words that pass the name shape can
matter, about 74,000 of 349,000, so they are kept here: checking a name
column then needs neither jieba's 120 MB of tables nor its second of loading.
Rerun after changing detectors/data/cn_surnames.txt (a test compares).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.validators import name_shaped  # noqa: E402

HEADER = "# jieba dictionary words shaped like Chinese names (scripts/make_name_words.py)\n"


def words() -> list[str]:
    """The name-shaped words of jieba's dictionary, sorted."""
    import jieba  # only needed to regenerate

    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        return sorted({word for line in fh if name_shaped(word := line.split(" ", 1)[0])})


def main(target: Path) -> None:
    target.write_text(HEADER + "\n".join(words()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "detectors/data/cn_name_shaped_words.txt"))

"""Regenerate scanner/connectors/data/cn_common_chars.txt: the 2,500 most frequent Chinese characters.

Derived from jieba's dictionary word frequencies. Encoding detection uses the
list to tell GBK text (common characters) from Korean or Japanese bytes that
also decode as GB18030 (arbitrary characters).
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

TOP = 2500


def main(target: Path) -> None:
    import jieba  # only needed to regenerate

    freq: collections.Counter[str] = collections.Counter()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, count, *_ = line.split(" ")
            for ch in word:
                if "\u4e00" <= ch <= "\u9fff":
                    freq[ch] += int(count)
    chars = "".join(ch for ch, _ in freq.most_common(TOP))
    target.write_text("# 2,500 most frequent Chinese characters (jieba dictionary); scripts/make_common_chars.py\n"
                      + chars + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "scanner/connectors/data/cn_common_chars.txt"))

"""Regenerate detectors/data/en_*_names.txt from the US Census 1990 lists shipped by `pip install names`.

The lists are trimmed to the most frequent names: rare census surnames
(Street, Lane, ...) would turn ordinary English words into "names".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STOP = {"Street", "Lane", "Park", "Hill", "Wood", "Field", "Ford", "Brook", "Stone", "Rose", "King", "Church", "Hall",
        "Way", "Little", "Young", "Long", "Short", "White", "Black", "Green", "Brown", "Gray", "Grey"}
HEADER = ("# Derived from the US Census 1990 name frequency lists (via the `names` package data),\n"
          "# most frequent first; regenerate with scripts/make_name_lists.py.\n")


def top(folder: str, name: str, n: int) -> list[str]:
    """The n most frequent names of one census file, title-cased."""
    out: list[str] = []
    with open(os.path.join(folder, name), encoding="ascii") as fh:
        for line in fh:
            word = line.split()[0]
            if len(word) >= 2:
                out.append(word.title())
            if len(out) >= n:
                break
    return out


def main(target: Path) -> None:
    import names  # only needed to regenerate, not at run time

    folder = os.path.dirname(names.__file__)
    first = sorted(set(top(folder, "dist.female.first", 1500) + top(folder, "dist.male.first", 1000)))
    last = [w for w in top(folder, "dist.all.last", 3000) if w not in STOP]
    (target / "en_first_names.txt").write_text(HEADER + "\n".join(first) + "\n", encoding="utf-8")
    (target / "en_last_names.txt").write_text(HEADER + "\n".join(last) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "detectors/data"))

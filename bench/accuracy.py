"""Accuracy harness: scan a labelled set and print per-entity precision/recall and column F1.

usage:
    python -m bench.accuracy LABELLED_DIR [--min-f1 0.95]     # DIR/data + DIR/labels.json (devset layout)
    python -m bench.accuracy --generate DIR                    # first write a generated labelled set

Exit status 1 when column F1 is below --min-f1, so it can gate a change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from scanner.pipeline import ScanOptions, scan_dataset
from scanner.sources import resolve_sources


@dataclass
class Score:
    """Column-level confusion counts, overall and per entity."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_entity: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    free_text_ok: int = 0
    free_text_total: int = 0
    mistakes: list[str] = field(default_factory=list)

    def add(self, want: str | None, got: str | None, where: str) -> None:
        if want == got:
            if want is not None:
                self.tp += 1
                self.per_entity[want][0] += 1
            return
        if got is not None:
            self.fp += 1
            self.per_entity[got][1] += 1
        if want is not None:
            self.fn += 1
            self.per_entity[want][2] += 1
        self.mistakes.append(f"{where}: want {want} got {got}")

    @property
    def f1(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def scan_columns(data_dir: Path, sample_rows: int = 10_000) -> dict[tuple[str, str], dict]:
    """(dataset id, column) -> column finding, scanning in-process."""
    datasets, _errors = resolve_sources([str(data_dir)])
    out: dict[tuple[str, str], dict] = {}
    for ds in datasets:
        for col in scan_dataset(ds, ScanOptions(sample_rows=sample_rows)).columns:
            out[(ds.id, col.name)] = col.to_json()
    return out


def score(labelled: Path) -> Score:
    """Compare a scan of labelled/data with labelled/labels.json."""
    labels = json.loads((labelled / "labels.json").read_text(encoding="utf-8"))
    found = scan_columns(labelled / "data")
    result = Score()
    for lab in labels["columns"]:
        col = found.get((lab["dataset"], lab["column"]))
        result.add(lab["entity"], col["primary_entity"] if col else None, f"{lab['dataset']}:{lab['column']}")
    for lab in labels.get("free_text", []):
        col = found.get((lab["dataset"], lab["column"]))
        got = {e["entity"] for e in col["entities"]} if col else set()
        result.free_text_total += 1
        if set(lab["entities"]) <= got:
            result.free_text_ok += 1
        else:
            result.mistakes.append(f"free text {lab['dataset']}:{lab['column']} missing {sorted(set(lab['entities']) - got)}")
    return result


def report(result: Score) -> str:
    """Per-entity table and the summary line."""
    lines = [f"{'entity':<20} {'precision':>9} {'recall':>7}  tp fp fn"]
    for entity in sorted(result.per_entity):
        tp, fp, fn = result.per_entity[entity]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        lines.append(f"{entity:<20} {p:>9.3f} {r:>7.3f}  {tp:>2} {fp:>2} {fn:>2}")
    lines += [f"mistake: {m}" for m in result.mistakes]
    precision = result.tp / (result.tp + result.fp) if result.tp + result.fp else 0.0
    recall = result.tp / (result.tp + result.fn) if result.tp + result.fn else 0.0
    lines.append(f"column_f1={result.f1:.3f} precision={precision:.3f} recall={recall:.3f} "
                 f"free_text={result.free_text_ok}/{result.free_text_total}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labelled", nargs="?", type=Path, help="directory with data/ and labels.json")
    parser.add_argument("--generate", type=Path, help="write a generated labelled set here first and score it")
    parser.add_argument("--rows", type=int, default=600, help="rows per generated table")
    parser.add_argument("--min-f1", type=float, default=0.0, help="exit 1 below this column F1")
    args = parser.parse_args(argv)
    target = args.generate or args.labelled
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="piiwarden-labelled-"))
        args.generate = target
    if args.generate:
        from bench.labelled import generate

        generate(target, rows=args.rows)
    result = score(target)
    print(report(result))
    return 0 if result.f1 >= args.min_f1 else 1


if __name__ == "__main__":
    sys.exit(main())

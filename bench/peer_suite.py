"""Agreement of piiwarden's free-text analyzer with peer recognizer test suites (issue 16).

usage: python -m bench.peer_suite [--json FILE] [--quiet] [--engine batch|per-text]

Runs every case of bench/peer_cases/cases.py through the analyzer ``scan``
and ``anonymize`` use on free-text columns: detectors/freetext.find_spans
over the shared recognizers (each pattern in batch, Presidio's analyzer for
names), then the strongest of overlapping spans, as the scan resolves them.

Two measures, per entity and overall, over (case, entity) pairs where the
entity is one the case is about (expected, a named negative, or predicted):
- presence: the analyzer finds the entity in the text iff the case expects it;
- exact: the analyzer's spans of the entity equal the expected ones.
Case-level figures require every entity of the case to agree. Every
disagreement is listed, so detection fixes can start from it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from bench.peer_cases.cases import Case, all_cases

Span = tuple[str, int, int]
PRESIDIO_PREFIX = "presidio-analyzer/"
PRESIDIO_ALL = "presidio-analyzer/tests (all files)"
SCRUBADUB_PREFIX = "scrubadub/"
SCRUBADUB_ALL = "scrubadub/tests (all files)"


def analyze(texts: list[str], engine: str = "batch") -> list[list[Span]]:
    """Each text's kept spans, the strongest of overlapping ones kept.

    ``batch`` is what ``scan`` (and anonymize's array path) runs on free-text
    columns; ``per-text`` is Presidio's ``AnalyzerEngine.analyze`` text by
    text over the same recognizers (anonymize's single-value path). The two
    should agree; ``--engine`` shows where they do not.
    """
    from detectors.classify import shared_recognizers
    from detectors.engine import get_analyzer
    from detectors.freetext import find_spans, language_of

    if engine == "per-text":
        analyzer = get_analyzer()
        return [_strongest([(r.entity_type, r.start, r.end, r.score)
                            for r in analyzer.analyze(t, language=language_of(t))]) for t in texts]
    found = find_spans(shared_recognizers(), pa.array(texts, type=pa.string()), texts)
    return [_strongest(spans) for spans in found]


def _strongest(spans: list[tuple[str, int, int, float]]) -> list[Span]:
    """Non-overlapping spans, strongest first, then earlier, then longer (as the scan and anonymize resolve)."""
    kept: list[tuple[str, int, int, float]] = []
    for span in sorted(spans, key=lambda s: (-s[3], s[1], s[1] - s[2])):
        if not any(span[1] < k[2] and k[1] < span[2] for k in kept):
            kept.append(span)
    return sorted((e, s, t) for e, s, t, _score in kept)


@dataclass
class Tally:
    """Agreement counts for one entity (or overall)."""

    cases: int = 0
    presence: int = 0
    exact: int = 0
    positives: int = 0  # cases expecting the entity

    def ratio(self, what: str) -> float:
        return getattr(self, what) / self.cases if self.cases else 1.0


@dataclass
class Result:
    """Per-entity tallies, pair and case totals, and every disagreement."""

    per_entity: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    pairs: Tally = field(default_factory=Tally)
    case_level: Tally = field(default_factory=Tally)
    disagreements: list[dict] = field(default_factory=list)
    by_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    def summary(self) -> dict:
        """Figures as plain data (for --json and the test)."""
        def row(t: Tally) -> dict:
            return {"cases": t.cases, "positives": t.positives, "presence": round(t.ratio("presence"), 4),
                    "exact": round(t.ratio("exact"), 4)}
        return {"pairs": row(self.pairs), "cases": row(self.case_level),
                "per_entity": {e: row(t) for e, t in sorted(self.per_entity.items())},
                "per_source": {s: row(t) for s, t in sorted(self.by_source.items())},
                "disagreements": self.disagreements}


def score(cases: list[Case], predicted: list[list[Span]]) -> Result:
    """Compare predicted spans with each case's expected ones."""
    result = Result()
    for case, got in zip(cases, predicted):
        want = sorted(case.spans)
        entities = set(case.focus) | {e for e, _s, _t in got}
        case_presence = case_exact = True
        for entity in sorted(entities):
            w = [s for s in want if s[0] == entity]
            g = [s for s in got if s[0] == entity]
            presence, exact = bool(w) == bool(g), w == g
            for tally in (result.per_entity[entity], result.pairs):
                tally.cases += 1
                tally.positives += bool(w)
                tally.presence += presence
                tally.exact += exact
            case_presence &= presence
            case_exact &= exact
            if not exact:
                result.disagreements.append({
                    "source": case.source, "entity": entity, "text": case.text, "note": case.note,
                    "kind": "presence" if not presence else "span",
                    "want": [case.text[s:t] for _e, s, t in w], "got": [case.text[s:t] for _e, s, t in g]})
        groups = [result.case_level, result.by_source[case.source]]
        for prefix, whole in ((PRESIDIO_PREFIX, PRESIDIO_ALL), (SCRUBADUB_PREFIX, SCRUBADUB_ALL)):
            if case.source.startswith(prefix):
                groups.append(result.by_source[whole])
        for tally in groups:
            tally.cases += 1
            tally.positives += bool(want)
            tally.presence += case_presence
            tally.exact += case_exact
    return result


def run(cases: list[Case] | None = None, engine: str = "batch") -> Result:
    """Analyze and score every case (all of bench/peer_cases by default)."""
    cases = all_cases() if cases is None else cases
    return score(cases, analyze([c.text for c in cases], engine))


def render(result: Result, show_disagreements: bool = True) -> str:
    """The tables and the disagreement list as text."""
    lines = [f"{'entity':<20} {'cases':>5} {'pos':>4} {'presence':>9} {'exact':>7}"]
    for entity, t in sorted(result.per_entity.items()):
        lines.append(f"{entity:<20} {t.cases:>5} {t.positives:>4} {t.ratio('presence'):>9.3f} {t.ratio('exact'):>7.3f}")
    p, c = result.pairs, result.case_level
    lines.append(f"{'ALL (case, entity)':<20} {p.cases:>5} {p.positives:>4} {p.ratio('presence'):>9.3f} "
                 f"{p.ratio('exact'):>7.3f}")
    lines.append(f"{'ALL (cases)':<20} {c.cases:>5} {c.positives:>4} {c.ratio('presence'):>9.3f} "
                 f"{c.ratio('exact'):>7.3f}")
    lines.append("")
    lines.append(f"{'source':<55} {'cases':>5} {'presence':>9} {'exact':>7}")
    for source, t in sorted(result.by_source.items()):
        lines.append(f"{source:<55} {t.cases:>5} {t.ratio('presence'):>9.3f} {t.ratio('exact'):>7.3f}")
    if show_disagreements:
        lines.append("")
        lines.append(f"disagreements ({len(result.disagreements)}):")
        for d in result.disagreements:
            note = f"  ({d['note']})" if d["note"] else ""
            lines.append(f"  [{d['kind']}] {d['entity']}: {d['text']!r} want {d['want']} got {d['got']}"
                         f"  <{d['source'].rsplit('/', 1)[-1]}>{note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures and disagreements to this file")
    parser.add_argument("--quiet", action="store_true", help="tables only, no disagreement list")
    parser.add_argument("--engine", choices=("batch", "per-text"), default="batch",
                        help="batch: the scan's free-text path (default); per-text: AnalyzerEngine.analyze")
    args = parser.parse_args(argv)
    result = run(engine=args.engine)
    print(render(result, not args.quiet))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result.summary(), fh, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

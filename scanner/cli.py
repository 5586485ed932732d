"""The `piiwarden` command line (CONTRACT.md "Commands" and exit codes).

Exit codes: 0 clean (no violation at or above --fail-on), 1 a violation at or
above --fail-on, 2 usage or configuration error (nothing written), 3 the scan
finished but some sources failed. When both 1 and 3 apply, 1 wins: a release
gate must stop on a definite violation even if another source was unreadable.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from detectors.taxonomy import SEVERITY_ORDER
from reports.html import write_html
from scanner.connectors.sqldb import has_literal_password, mask_source
from scanner.findings import build_findings, now_iso, read_findings, write_findings
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.counts import attach_policy_checks
from scanner.policy.database import attach_grants
from scanner.policy.model import Policy, PolicyError, load_policy
from scanner.policy.rules import evaluate
from scanner.sampling import DEFAULT_SAMPLE_ROWS
from scanner.sources import missing_sources, resolve_sources, select_datasets

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_SOURCE_ERRORS = 0, 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Find, grade and report personal data.")
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class Level(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def usage_error(message: str) -> typer.Exit:
    """Print one clear line and return the exit for a usage/configuration error."""
    err.print(f"piiwarden: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def _parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise usage_error(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


@app.command()
def scan(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, globs or database URLs.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Where findings.json and report.html go.")] = Path(
        "piiwarden-out"
    ),
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (CONTRACT.md).")] = None,
    sample_rows: Annotated[int, typer.Option("--sample-rows", help="Rows sampled per dataset.")] = DEFAULT_SAMPLE_ROWS,
    full: Annotated[bool, typer.Option("--full", help="Scan every row instead of a sample.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Today's date for age rules, YYYY-MM-DD.")] = None,
    fail_on: Annotated[Level | None, typer.Option("--fail-on", help="Exit 1 on a violation at or above this.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Report language.")] = Lang.zh,
    include: Annotated[list[str] | None, typer.Option("--include", help="Only dataset ids matching this glob (repeatable), e.g. 'crm.*'.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Skip dataset ids matching this glob (repeatable), e.g. '*.tmp_*'.")] = None,
    views: Annotated[bool, typer.Option("--views", help="Also scan database views.")] = False,
) -> None:
    """Scan sources for personal data and write findings.json and report.html."""
    typed = [mask_source(s) for s in sources if has_literal_password(s)]
    if typed:
        raise usage_error(f"a password on the command line is refused ({', '.join(typed)}); "
                          "write it as ${ENV_VAR} in the URL and export the variable")
    if sample_rows < 1:
        raise usage_error("--sample-rows must be at least 1")
    as_of_date = _parse_as_of(as_of)
    missing = missing_sources(sources)
    if missing:
        raise usage_error(f"no such file, directory or matching glob: {', '.join(missing)}")
    loaded: Policy | None = None
    if policy is not None:
        if not policy.is_file():
            raise usage_error(f"policy file not found: {policy}")
        try:
            loaded = load_policy(policy)
        except PolicyError as exc:
            raise usage_error(str(exc)) from None

    started = now_iso()
    options = ScanOptions(sample_rows=sample_rows, full=full)
    datasets, source_errors = resolve_sources(sources, views=views)
    datasets = select_datasets(datasets, include or [], exclude or [])
    errors = [{"source": s, "error": e} for s, e in source_errors]
    for item in errors:
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    results = []
    for ds in datasets:
        err.print(f"scanning {ds.id}", style="dim", markup=False)
        result = scan_dataset(ds, options)
        for message in result.errors:
            errors.append({"source": ds.location or ds.id, "error": message})
            err.print(f"error: {ds.location or ds.id}: {message}", markup=False)
        results.append(result.to_json())

    # Exact counts for retention/minor_data: a full pass over only the columns they need.
    scanned = list(zip(datasets, results))
    for item in attach_policy_checks(loaded, scanned, as_of_date) + attach_grants(scanned):
        errors.append(item)
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    violations = evaluate(loaded, results)
    findings = build_findings(
        started_at=started, as_of=as_of_date, sources=[mask_source(s) for s in sources], mode="full" if full else "sample",
        datasets=results, violations=violations, errors=errors,
        params={"policy": str(policy) if policy else None, "sample_rows": None if full else sample_rows,
                "fail_on": fail_on.value if fail_on else None, "lang": lang.value},
    )
    findings_path, report_path = outdir / "findings.json", outdir / "report.html"
    write_findings(findings_path, findings)
    write_html(report_path, findings, lang.value)

    sensitive = sum(1 for d in results for c in d["columns"] if c["primary_entity"])
    out.print(
        f"{len(results)} datasets, {sensitive} sensitive columns, {len(violations)} violations, {len(errors)} errors",
        markup=False,
    )
    out.print(f"findings: {findings_path}", markup=False)
    out.print(f"report:   {report_path}", markup=False)
    raise typer.Exit(_exit_code(violations, errors, fail_on))


def _exit_code(violations: list[dict], errors: list[dict], fail_on: Level | None) -> int:
    if fail_on is not None:
        bar = SEVERITY_ORDER[fail_on.value]
        if any(SEVERITY_ORDER[v["severity"]] >= bar for v in violations):
            return EXIT_VIOLATION
    return EXIT_SOURCE_ERRORS if errors else EXIT_OK


@app.command()
def report(
    findings_json: Annotated[Path, typer.Argument(help="A findings.json written by `piiwarden scan`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    lang: Annotated[Lang, typer.Option("--lang", help="Report language.")] = Lang.zh,
) -> None:
    """Re-render report.html from a findings.json."""
    if not findings_json.is_file():
        raise usage_error(f"no such file: {findings_json}")
    try:
        findings = read_findings(findings_json)
    except (ValueError, OSError) as exc:
        raise usage_error(f"{findings_json}: not a readable findings.json ({type(exc).__name__})") from None
    if not isinstance(findings, dict) or findings.get("schema_version") != 1 or "datasets" not in findings:
        raise usage_error(f"{findings_json}: not a piiwarden findings.json (schema_version 1)")
    write_html(output, findings, lang.value)
    out.print(f"report:   {output}", markup=False)



from scanner.cli_anonymize import register as _register_anonymize  # noqa: E402 - needs `app` above

_register_anonymize(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("piiwarden: interrupted", markup=False)
        sys.exit(130)

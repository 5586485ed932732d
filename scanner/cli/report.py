"""``piiwarden report``: re-render report.html from a findings.json (no scan, no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.common import Lang, out, usage_error


def report(
    findings_json: Annotated[Path, typer.Argument(help="A findings.json written by `piiwarden scan`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    lang: Annotated[Lang, typer.Option("--lang", help="Report language.")] = Lang.zh,
) -> None:
    """Re-render report.html from a findings.json."""
    from reports.html import write_html
    from scanner.findings import read_findings

    if not findings_json.is_file():
        raise usage_error(f"no such file: {findings_json}")
    try:
        findings = read_findings(findings_json)
    except (ValueError, OSError) as exc:
        raise usage_error(f"{findings_json}: not a readable findings.json ({type(exc).__name__})") from None
    write_html(output, findings, lang.value)
    out.print(f"report:   {output}", markup=False)

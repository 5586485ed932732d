"""``piiwarden inventory``: the personal-information inventory (个人信息清单) and PIA summary from findings files.

Thin on purpose: parse, call ``scanner.api.inventory``, print where it went.
Any input the inventory cannot use (a missing or hand-broken findings.json,
a bad policy, an output that is neither .xlsx nor .csv) is one
``piiwarden: error:`` line and exit 2, with nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.common import ENTITIES_HELP, custom_entities, out, usage_error


def inventory(
    findings_json: Annotated[list[Path], typer.Argument(help="findings.json files written by `piiwarden scan` "
                                                        "(a dataset in several: the latest scan wins).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="inventory.xlsx (inventory, PIA, a sheet per "
                                         "dataset) or inventory.csv (the inventory rows).")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy file: purpose, retention and allowed "
                                                "readers per dataset.")] = None,
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP + " The scans' own, so that "
                                                  "a policy naming one is read.")] = None,
) -> None:
    """Write the PI inventory: one row per personal-information column, with people, purpose and retention."""
    from scanner import api
    from scanner.policy.model import PolicyError

    problem = _input_problem(findings_json, output, policy)
    if problem:
        raise usage_error(problem)
    try:
        with custom_entities(entities):
            built = api.inventory(findings_json, output, policy=policy)
    except (ValueError, OSError, PolicyError) as exc:  # InventoryError, FindingsError: one line, no value
        raise usage_error(_message(exc)) from None
    out.print(f"inventory: {output} ({len(built.rows)} column(s) in {len(built.datasets())} dataset(s))",
              markup=False)


def _input_problem(findings: list[Path], output: Path, policy: Path | None) -> str | None:
    """What is missing or misnamed, before anything is read (None: go ahead)."""
    if output.suffix.lower() not in (".xlsx", ".csv"):
        return f"the inventory is written as .xlsx or .csv, not {output.suffix or 'a file without suffix'}"
    missing = [str(p) for p in findings if not p.is_file()]
    if missing:
        return f"no such file: {', '.join(missing)}"
    if policy is not None and not policy.is_file():
        return f"policy file not found: {policy}"
    return None


def _message(exc: Exception) -> str:
    """The library's own one-line messages as they are; anything else through the value-free sanitizer."""
    from scanner.errors import error_message, first_line
    from scanner.findings import FindingsError
    from scanner.lifecycle.inventory import InventoryError
    from scanner.policy.model import PolicyError

    if isinstance(exc, (FindingsError, InventoryError, PolicyError)):
        return f"inventory: {first_line(str(exc))}"
    return f"inventory: {error_message(exc)}"

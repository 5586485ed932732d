"""``piiwarden anonymize``, ``verify`` and ``decrypt`` (CONTRACT.md "Commands").

Registered into the main typer app by ``register(app)``. Exit codes follow
``scan``: 0 done, 1 verify found clear identifiers, 2 usage or configuration
error (one line, nothing written), 3 finished but some sources failed.
Console output names datasets, columns, rules and counts, never a value or a
key (the key appears only as its fingerprint).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from scanner import audit
from scanner.anonymize.kanon import describe as describe_k
from scanner.anonymize.keys import Key, KeyProblem, load_key
from scanner.anonymize.operators import MissingKey
from scanner.anonymize.rules import Rules, RulesError, load_rules
from scanner.anonymize.run import RECORD_NAME, read_record, run_anonymize, run_decrypt
from scanner.anonymize.verify import verify as verify_outdir
from scanner.connectors import sqldb
from scanner.policy.model import Policy, PolicyError, load_policy
from scanner.sources import is_url, missing_sources
from scanner.spark_engine import DEFAULT_MASTER, Engine, spark_problem

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_SOURCE_ERRORS = 0, 1, 2, 3

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _usage(message: str) -> typer.Exit:
    """Print one clear line and return the usage/configuration exit."""
    err.print(f"piiwarden: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def _log(message: str) -> None:
    err.print(message, style="dim", markup=False)


def _load_policy(policy: Path | None) -> Policy | None:
    if policy is None:
        return None
    if not policy.exists():
        raise _usage(f"policy file not found: {policy}")
    try:
        return load_policy(policy)
    except PolicyError as exc:
        raise _usage(str(exc)) from None


def _load_rules(rules: Path | None) -> Rules:
    if rules is None:
        return Rules()
    if not rules.exists():
        raise _usage(f"rules file not found: {rules}")
    try:
        return load_rules(rules)
    except RulesError as exc:
        raise _usage(str(exc)) from None


def _load_key(key_file: Path | None) -> Key | None:
    try:
        return load_key(key_file)
    except KeyProblem as exc:
        raise _usage(str(exc)) from None


def _check_outdir(sources: list[str], outdir: Path) -> None:
    """OUTDIR inside (or equal to) a source directory would be crawled as input next time."""
    target = outdir.resolve()
    for source in sources:
        if is_url(source):
            continue
        path = Path(source).resolve()
        if path.is_dir() and (target == path or path in target.parents):
            raise _usage(f"OUTDIR {outdir} is inside the source directory {source}; choose another OUTDIR")


def _check_target(target: str) -> None:
    """A parseable URL whose password, if any, comes from the environment (never typed)."""
    try:
        make_url(os.path.expandvars(target))
    except (ArgumentError, ValueError):
        raise _usage("--target is not a database URL (e.g. sqlite:///out.db)") from None
    if problem := sqldb.credential_problem(target, "--target"):
        raise _usage(problem)


def anonymize(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, globs or database URLs.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Where the desensitized copies go.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (quasi-identifiers, k).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Anonymization rules YAML (CONTRACT.md).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Database URL for tables of URL sources.")] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="Key for hash/encrypt/fpe/pseudonym "
                                                  "(else env PIIWARDEN_KEY).")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="local, or spark: column transforms of "
                                           "Parquet/CSV/JSON(L) on a Spark cluster.")] = Engine.local,
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")]
    = DEFAULT_MASTER,
) -> None:
    """Write desensitized copies of the sources into OUTDIR, mirroring paths and formats."""
    for source in sources:
        if problem := sqldb.credential_problem(source):
            raise _usage(problem)
    missing = missing_sources(sources)
    if missing:
        raise _usage(f"no such file, directory or matching glob: {', '.join(missing)}")
    loaded_rules = _load_rules(rules)
    loaded_policy = _load_policy(policy)
    key = _load_key(key_file)
    if loaded_rules.keyed_ops and key is None:
        ops = ", ".join(sorted(loaded_rules.keyed_ops))
        raise _usage(f"rules use {ops}, which need a key: pass --key-file FILE or set PIIWARDEN_KEY")
    if target is not None:
        _check_target(target)
    _check_outdir(sources, outdir)
    if engine is Engine.spark and (problem := spark_problem()):
        raise _usage(f"--engine spark: {problem}")
    try:
        if engine is Engine.spark:
            from scanner.spark_anonymize import run_anonymize_spark

            result = run_anonymize_spark(sources, outdir, loaded_rules, loaded_policy, key, target, _log,
                                         rules_path=rules, policy_path=policy, master=spark_master)
        else:
            result = run_anonymize(sources, outdir, loaded_rules, loaded_policy, key, target, _log,
                                   rules_path=rules, policy_path=policy)
    except MissingKey as exc:
        raise _usage(str(exc)) from None
    _print_summary(result.record)
    out.print(f"anonymization record: {result.path}", markup=False)
    audit.record_run("anonymize", result.record, sources=sources, outdir=outdir, target=target)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def _print_summary(record: dict) -> None:
    for item in record["errors"]:
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    changed = 0
    for ds in record["datasets"]:
        changed += len(ds["columns"])
        desc = ", ".join(f"{c['name']} {c['rule']['op']}" for c in ds["columns"]) or "nothing sensitive"
        out.print(f"{ds['id']}: {desc}", markup=False)
        if ds.get("k_anonymity"):
            line = describe_k(ds["id"], ds["k_anonymity"])
            (err if line.startswith("WARNING") else out).print(line, markup=False)
    fingerprint = record["run"]["key_fingerprint"]
    out.print(f"{len(record['datasets'])} datasets, {changed} columns anonymized, {len(record['errors'])} errors"
              + (f", key {fingerprint}" if fingerprint else ""), markup=False)


def verify(
    outdir: Annotated[Path, typer.Argument(help="An OUTDIR written by `piiwarden anonymize`.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML: recompute k-anonymity.")] = None,
) -> None:
    """Rescan an anonymized copy; exit 1 if a level >= 3 column still holds real identifiers."""
    if not outdir.is_dir():
        raise _usage(f"no such directory: {outdir}")
    loaded_policy = _load_policy(policy)
    result = verify_outdir(outdir, loaded_policy)
    for item in result.errors:
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    for f in result.failures:
        out.print(f"FAIL {f['dataset']}: {f['column']}: {f['values']} values validate as {f['entity']}", markup=False)
    for a in result.accepted:
        out.print(f"ok   {a['dataset']}: {a['column']}: pseudonymized (well-formed {a['entity']} surrogates)",
                  markup=False)
    for ds_id, k in result.k_anonymity.items():
        line = describe_k(ds_id, k)
        (err if line.startswith("WARNING") else out).print(line, markup=False)
    verdict = "FAILED" if result.failures else "passed"
    out.print(f"verify {verdict}: {result.datasets} datasets, {len(result.failures)} columns with clear "
              f"identifiers, {len(result.errors)} errors", markup=False)
    audit.record_verify(outdir, result)
    if result.failures:
        raise typer.Exit(EXIT_FAIL)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def decrypt(
    sources: Annotated[list[str], typer.Argument(help="An anonymized OUTDIR, or files inside it.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Where the restored copies go.")],
    key_file: Annotated[Path | None, typer.Option("--key-file", help="The key used by anonymize "
                                                  "(else env PIIWARDEN_KEY).")] = None,
) -> None:
    """Restore the values that `anonymize` encrypted (op: encrypt), for holders of the key."""
    missing = missing_sources(sources)
    if missing:
        raise _usage(f"no such file, directory or matching glob: {', '.join(missing)}")
    key = _load_key(key_file)
    if key is None:
        raise _usage("decrypt needs the key: pass --key-file FILE or set PIIWARDEN_KEY")
    for source in sources:
        record = read_record(Path(source)) if Path(source).is_dir() else None
        used = (record or {}).get("run", {}).get("key_fingerprint")
        if used and used != key.fingerprint:
            raise _usage(f"this key ({key.fingerprint}) is not the one that wrote {source} ({used})")
    _check_outdir(sources, outdir)
    result = run_decrypt(sources, outdir, key, _log)
    for item in result.errors:
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    restored = sum(c["values_restored"] for ds in result.record["datasets"] for c in ds["columns"])
    out.print(f"{len(result.record['datasets'])} datasets, {restored} values decrypted; record: {result.path}",
              markup=False)
    audit.record_run("decrypt", result.record, sources=sources, outdir=outdir)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the anonymization commands to the main ``piiwarden`` app."""
    app.command("anonymize")(anonymize)
    app.command("verify")(verify)
    app.command("decrypt")(decrypt)


__all__ = ["RECORD_NAME", "register"]

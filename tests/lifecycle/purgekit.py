"""Shared by the purge tests: people data with retention dates, the CLI, and "nothing raw anywhere" checks."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app
from tests.conftest import ROOT

AS_OF = dt.date(2026, 3, 31)
CUTOFF = AS_OF - dt.timedelta(days=1825)
KEY_HEX = "5f" * 32
runner = CliRunner()


def people(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Rows with a unique mobile and ID number each, and a last-login date in the shapes exports use."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 15000))
        body = rng.choice(["110105", "440304", "310115"]) + born.strftime("%Y%m%d") + f"{i % 1000:03d}"
        seen = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 3700))
        rows.append({
            "k": i + 1,
            "name": rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋"),
            "mobile": rng.choice(["138", "186", "159", "177"]) + f"{rng.randint(0, 10**8 - 1):08d}",
            "id_no": body + resident_id_check_char(body),
            "last_login": seen,
        })
    return rows


def date_text(day: dt.date, i: int) -> str:
    """Mixed date shapes, as real exports have them (the count's parser reads them all)."""
    shapes = (day.isoformat(), f"{day.year}/{day.month}/{day.day}", day.strftime("%Y%m%d"),
              f"{day.year}年{day.month}月{day.day}日", day.isoformat() + " 10:00:00")
    return shapes[i % len(shapes)]


def old(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["last_login"] < CUTOFF]


def policy(tmp_path: Path, match: str = "*") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ndatasets:\n"
                    f"  - match: '{match}'\n    purpose: crm\n"
                    "    allowed_entities: [PERSON_NAME, CN_MOBILE_PHONE, CN_RESIDENT_ID]\n"
                    "    retention: {column: last_login, max_age_days: 1825}\n", encoding="utf-8")
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def purge(source: str, policy_path: Path, *extra: str) -> Any:
    return invoke("purge", source, "--policy", str(policy_path), "--as-of", AS_OF.isoformat(), *extra)


def retention_count(source: str, policy_path: Path, tmp_path: Path, dataset: str) -> int:
    """The retention violation's count for a dataset, from a plain ``piiwarden scan`` on the same as-of."""
    out = tmp_path / f"scan-{len(list(tmp_path.glob('scan-*')))}"
    result = invoke("scan", source, "--policy", str(policy_path), "--as-of", AS_OF.isoformat(), "-o", str(out),
                    "--no-history")
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    counts = [v["count"] for v in findings["violations"] if v["rule"] == "retention" and v["dataset"] == dataset]
    assert len(counts) == 1, findings["violations"]
    return int(counts[0])


def raw_values(rows: list[dict[str, Any]]) -> list[str]:
    return [v for r in rows for v in (r["mobile"], r["id_no"])]


def assert_nothing_raw(rows: list[dict[str, Any]], texts: list[str], files: list[Path]) -> None:
    """No identifier of any row in console output or in any file written (audit log, exports, archives)."""
    blobs = [t.encode("utf-8") for t in texts] + [p.read_bytes() for p in files if p.is_file()]
    for value in raw_values(rows):
        needle = value.encode("utf-8")
        assert not any(needle in b for b in blobs), "a raw identifier leaked"


def audit_ok(log: Path) -> list[dict[str, Any]]:
    """Verify the chain with the CLI and return the destruction records exported as JSON."""
    verified = invoke("audit", "verify", "--log", str(log))
    assert verified.exit_code == 0, verified.output
    export = log.parent / "destruction.json"
    exported = invoke("audit", "export", "--kind", "destruction", "--log", str(log), "-o", str(export))
    assert exported.exit_code == 0, exported.output
    return [e for e in json.loads(export.read_text(encoding="utf-8")) if e.get("kind") == "destruction"
            and "destruction" in e]


# A wrapper that runs the real CLI but dies by SIGKILL at one point of the removal: the test decides where.
_KILLER = textwrap.dedent("""
    import os, signal, sys
    from scanner import audit
    from scanner.lifecycle import removal
    where = sys.argv.pop(1)
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "mid-write":  # small blocks, killed after the third has been written to the temporary
        removal.READ_BYTES = 1024
        real, calls = removal._copy_kept, []
        def copy_kept(*args, **kwargs):
            calls.append(1)
            if len(calls) > 3:
                die()
            return real(*args, **kwargs)
        removal._copy_kept = copy_kept
    elif where == "before-replace":
        removal._verify = die
    elif where == "after-record":  # the destruction record is written; the commit or rename is next
        record = audit.AuditLog.record_destruction
        def record_then_die(self, *args, **kwargs):
            record(self, *args, **kwargs)
            die()
        audit.AuditLog.record_destruction = record_then_die
    elif where == "after-commit":  # the rows are gone (file renamed, transaction committed); no outcome yet
        removal._fsync_dir = die
        removal._finish_removal = die
    from scanner.cli import main
    main()
""")


def killed_purge(tmp_path: Path, env: dict[str, Any], where: str, source: Path | str) -> subprocess.CompletedProcess[bytes]:
    """``purge --apply`` of ``source`` in a process killed by SIGKILL at ``where`` (a point of ``_KILLER``)."""
    script = tmp_path / "killer.py"
    script.write_text(_KILLER, encoding="utf-8")
    envvars = {**os.environ, "PYTHONPATH": str(ROOT), "PIIWARDEN_AUDIT_LOG": str(env["log"])}
    proc = subprocess.run([sys.executable, str(script), where, "purge", str(source), "--policy", str(env["policy"]),
                           "--as-of", AS_OF.isoformat(), "--apply", "--key-file", str(env["key"])],
                          env=envvars, capture_output=True, timeout=300, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    return proc


def unconfirmed(log: Path) -> tuple[list[str], list[dict[str, str]]]:
    """``audit verify``'s UNCONFIRMED lines (it still exits 0) and the CSV export's destruction rows."""
    verified = invoke("audit", "verify", "--log", str(log))
    assert verified.exit_code == 0, verified.output
    export = log.parent / "destruction.csv"
    assert invoke("audit", "export", "--kind", "destruction", "--log", str(log), "-o", str(export)).exit_code == 0
    with open(export, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["method"]]
    return [ln for ln in verified.output.splitlines() if ln.startswith("UNCONFIRMED")], rows

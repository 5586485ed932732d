"""Digest of every output piiwarden writes for sample_data/ and the devset, ids and timestamps aside.

Why: a refactor must not change what users get. Run this before and after a
change and diff the two manifests; any line that differs names the output
file (findings.json, anonymization.json, or an anonymized copy) that changed.

    python scripts/golden_outputs.py OUT_DIR > manifest.txt

The runs: ``scan --full`` with the policy, ``anonymize`` with the default
rules, and ``anonymize`` once per operator (a rules file that applies that
operator to every entity), all with a fixed key. JSON outputs are compared
after removing the fields that change from run to run (ids, times, durations,
absolute paths); other files by their bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(os.environ.get("GOLDEN_ROOT") or Path(__file__).resolve().parent.parent)
DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "devset"
VOLATILE = {"scan_id", "run_id", "started_at", "finished_at", "duration_s", "duration_seconds", "generated_at",
            "time", "id", "key_fingerprint", "signature", "mac", "elapsed_s", "at", "created_at", "previous_scan_id"}
OPERATORS = ["mask", "hash", "encrypt", "fpe", "pseudonym", "generalize", "redact", "drop", "keep"]
ENTITIES = ["CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "US_SSN", "BANK_CARD", "CREDENTIAL",
            "CN_MOBILE_PHONE", "PHONE_NUMBER", "ADDRESS", "DATE_OF_BIRTH", "CN_LICENSE_PLATE", "PERSON_NAME",
            "EMAIL_ADDRESS", "CN_LANDLINE_PHONE", "IP_ADDRESS", "CN_USCC"]


def _strip(node: object, roots: list[str]) -> object:
    """The JSON without run-specific fields; absolute paths made relative to the run's roots."""
    if isinstance(node, dict):
        return {k: _strip(v, roots) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        return [_strip(v, roots) for v in node]
    if isinstance(node, str):
        for root in roots:
            node = node.replace(root, "<ROOT>")
        return node
    return node


_TIMES = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?|[0-9a-f]{8}-[0-9a-f-]{27}|\b[0-9a-f]{32}\b")


def _zip_members(data: bytes) -> bytes:
    """An Office file's parts without the zip's own timestamps and the document's modified time."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(name.encode() + _TIMES.sub(b"<T>", archive.read(name))
                        for name in sorted(archive.namelist()))


def _digest(path: Path, roots: list[str], *, size_only: bool = False) -> str:
    data = path.read_bytes()
    if path.suffix == ".json" and path.name in {"findings.json", "anonymization.json", "decryption.json"}:
        data = json.dumps(_strip(json.loads(data), roots), sort_keys=True, ensure_ascii=False).encode()
    elif size_only:  # encrypted outputs: a fresh nonce per value (the "-decrypted" run checks the contents)
        return "encrypted" if path.suffix in {".parquet", ".xlsx", ".db", ".sqlite"} else f"size={len(data)}"
    elif path.suffix == ".xlsx":
        data = _zip_members(data)
    elif path.suffix == ".html":
        data = _TIMES.sub(b"<T>", data)
    return hashlib.sha256(data).hexdigest()[:16]


def _run(args: list[str], env: dict[str, str]) -> int:
    proc = subprocess.run([sys.executable, "-m", "scanner", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    return proc.returncode


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    key = out / "key.bin"
    key.write_bytes(bytes(range(32)))
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIIWARDEN_HISTORY=str(out / "history.db"))
    runs: list[tuple[str, list[str]]] = []
    for name, src, policy in [("sample", ROOT / "sample_data", ROOT / "sample_data" / "policy.yaml"),
                              ("devset", DEVSET / "data", DEVSET / "policy.yaml")]:
        runs.append((f"{name}-scan", ["scan", str(src), "--policy", str(policy), "--full", "--no-history"]))
        runs.append((f"{name}-anon-default", ["anonymize", str(src), "--key-file", str(key)]))
        runs.append((f"{name}-anon-encrypt-decrypted", ["decrypt", f"<{name}-anon-encrypt>", "--key-file", str(key)]))
        for op in OPERATORS:
            rules = out / f"rules-{op}.yaml"
            rules.write_text("version: 1\nentities:\n" + "".join(f"  {e}: {{op: {op}}}\n" for e in ENTITIES))
            runs.append((f"{name}-anon-{op}", ["anonymize", str(src), "--rules", str(rules), "--key-file", str(key)]))
    roots = [str(ROOT), str(DEVSET.resolve()), str(out)]
    runs.sort(key=lambda run: run[0].endswith("-decrypted"))  # after the encrypt runs they read
    for label, args in runs:
        target = out / label
        args = [str(out / a[1:-1]) if a.startswith("<") else a for a in args]
        code = _run([*args, "-o", str(target)], env)
        print(f"{label} exit={code}")
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            print(f"  {path.relative_to(target)} {_digest(path, roots, size_only=label.endswith('-encrypt'))}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())

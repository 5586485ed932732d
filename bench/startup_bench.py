"""Start-up cost of the commands a scheduler runs most: ``--help`` and scans of two-row CSV files.

Issue 15 asks ``piiwarden --help`` under 0.5 s and a two-row CSV scan under
2 s on the development machine. Those are wall-clock figures of fresh
processes, nearly all imports, so this script runs each command N times in
a fresh interpreter and prints the best wall time (the least disturbed run,
as hyperfine's "min") and that run's CPU time (user + system, from the
child's rusage: less sensitive to other load on a shared machine).

Cases: ``--help``, ``history --help``, and scans of two-row CSVs whose
content takes each detection path: identifiers and names that validate as
cells (no free text), mobiles only, names that are dictionary words
(张三/李四: the free-text path with jieba and Presidio's analyzer engine),
and a remark column of prose. ``python -m bench.startup_bench [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSVS = {
    "scan: names, mobiles, IDs (cells)": "姓名,手机号,身份证号\n王伟,13812345678,11010519491231002X\n"
                                          "刘芳,13912345678,440304199003071232\n",
    "scan: mobiles only": "手机号\n13812345678\n13912345678\n",
    "scan: 张三/李四 + mobiles (free text)": "姓名,手机号\n张三,13812345678\n李四,13912345678\n",
    "scan: remarks in prose (free text)": "订单号,备注\nA1001,客户要求周五前送达\nA1002,联系人电话13812345678\n",
}


def _run_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh ``python -m scanner ARGS`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "scanner", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"piiwarden {' '.join(args)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime


def best_of(args: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """The fastest run's wall and CPU seconds (one untimed run first warms the OS file cache)."""
    _run_once(args, env)
    return min(_run_once(args, env) for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (best one kept, default 5)")
    opts = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="pw-startup-") as tmp:
        base = Path(tmp)
        env["HOME"] = str(base)  # no history or cache of the user's is read or written
        cases: dict[str, list[str]] = {"--help": ["--help"], "history --help": ["history", "--help"]}
        for k, (label, text) in enumerate(CSVS.items()):
            folder = base / f"data{k}"
            folder.mkdir()
            (folder / "two_rows.csv").write_text(text, encoding="utf-8")
            cases[label] = ["scan", str(folder), "-o", str(base / f"out{k}"), "--no-history", "-q"]
        print(f"best of {opts.runs} fresh processes ({sys.executable})")
        print(f"{'case':44} {'wall s':>7} {'cpu s':>7}")
        for label, args in cases.items():
            wall, cpu = best_of(args, opts.runs, env)
            print(f"{label:44} {wall:7.2f} {cpu:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

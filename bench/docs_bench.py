"""File-share throughput: 1,000 mixed documents scanned with ``--workers 2``, and OCR pages per second.

usage: python -m bench.docs_bench [--docs 1000] [--workers 2] [--ocr-pages 6] [--keep DIR]

Generates a share of ``--docs`` documents cycling through eight kinds (.docx contract with a
table, .pptx deck, text .pdf of 3 pages, .eml, .html, .xls, a .zip holding an .eml with an .xlsx
attachment, a .tar.gz of a .docx), each with synthetic names, valid ID numbers and mobiles, then
times the CLI ``scan SHARE --workers N --no-history`` (no OCR; wall time, so process start-up and
the detectors' load are included) and reports documents/s and datasets/s. For OCR it writes
``--ocr-pages`` scanned ID cards (half PNG, half one-page image PDFs) and times ``scan --ocr``
over them: pages/s. Figures are one run on the machine it ran on, not promises.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.validators import resident_id_check_char  # noqa: E402
from tests.documents import builders  # noqa: E402
from tests.documents.olegen import xls_bytes  # noqa: E402
from tests.documents.pdfgen import text_pdf  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def _person(rng: random.Random) -> tuple[str, str, str]:
    body = f"{rng.choice(['110105', '440304', '320106', '510107'])}{rng.randint(1960, 2000)}" \
           f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return name, body + resident_id_check_char(body), f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}"


def _docx(rng: random.Random) -> bytes:
    import docx

    document = docx.Document()
    for _ in range(12):
        name, rid, phone = _person(rng)
        document.add_paragraph(f"借款人 {name}，身份证号 {rid}，联系电话 {phone}，按月还款。")
    table = document.add_table(rows=6, cols=3)
    table.cell(0, 0).text, table.cell(0, 1).text, table.cell(0, 2).text = "姓名", "身份证号", "手机"
    for r in range(1, 6):
        for c, value in enumerate(_person(rng)):
            table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pptx(rng: random.Random) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for _ in range(4):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        name, rid, phone = _person(rng)
        slide.shapes.title.text = f"客户 {name}"
        slide.placeholders[1].text = f"证件号 {rid}\n电话 {phone}"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pdf(rng: random.Random) -> bytes:
    return text_pdf([[f"Borrower ID {p[1]} phone {p[2]}" for p in (_person(rng) for _ in range(20))]
                     for _ in range(3)])


def _eml(rng: random.Random) -> bytes:
    return builders.eml_bytes()


def _html(rng: random.Random) -> bytes:
    rows = "".join(f"<tr><td>{n}</td><td>{r}</td><td>{p}</td></tr>" for n, r, p in (_person(rng) for _ in range(20)))
    return f"<html><body><h1>客户名单</h1><table>{rows}</table></body></html>".encode()


def _xls(rng: random.Random) -> bytes:
    return xls_bytes({"客户": [["姓名", "身份证号", "手机"], *[list(_person(rng)) for _ in range(30)]]})


def _zip(rng: random.Random) -> bytes:
    return builders.mailbox_zip()


def _targz(rng: random.Random) -> bytes:
    return builders.tar_bytes({"合同/a.docx": _docx(rng)})


CPU: list[float] = []  # CPU seconds (user + system, every process) of each timed run
KINDS: list[tuple[str, Callable[[random.Random], bytes]]] = [
    ("docx", _docx), ("pptx", _pptx), ("pdf", _pdf), ("eml", _eml), ("html", _html), ("xls", _xls),
    ("zip", _zip), ("tar.gz", _targz),
]


def write_share(root: Path, docs: int, seed: int = 17) -> None:
    """``docs`` documents over 20 folders, the kinds in turn (templates built once per kind and seed)."""
    rng = random.Random(seed)
    templates = {kind: [build(rng) for _ in range(5)] for kind, build in KINDS}
    for i in range(docs):
        kind, _ = KINDS[i % len(KINDS)]
        folder = root / f"dept{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"doc{i:05d}.{kind}").write_bytes(templates[kind][i % 5])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_scan(args: list[str]) -> tuple[float, dict]:
    """Wall seconds of the CLI run (its CPU seconds, all processes, go to ``CPU``) and its findings."""
    out = Path(tempfile.mkdtemp(prefix="docs-bench-out-"))
    start, cpu = time.perf_counter(), _cpu()
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", *args, "-o", str(out), "--no-history", "-q"],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    CPU.append(_cpu() - cpu)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--keep", type=Path, default=None, help="write the share here (kept)")
    args = parser.parse_args(argv)
    share = args.keep or Path(tempfile.mkdtemp(prefix="docs-bench-"))
    write_share(share, args.docs)
    wall, findings = _timed_scan([str(share), "--workers", str(args.workers)])
    datasets = len(findings["datasets"])
    print(f"scan of {args.docs} documents ({datasets} datasets), --workers {args.workers}, no OCR: "
          f"{wall:.1f} s wall = {args.docs / wall:.1f} docs/s, {datasets / wall:.1f} datasets/s; "
          f"{CPU[-1]:.1f} CPU s = {args.docs / CPU[-1]:.1f} docs per CPU s; errors {len(findings['errors'])}")
    if args.ocr_pages:
        from tests.documents.idcard import id_card_png, image_pdf

        scans = Path(tempfile.mkdtemp(prefix="docs-bench-ocr-"))
        rng = random.Random(5)
        for i in range(args.ocr_pages):
            name, rid, _phone = _person(rng)
            png = id_card_png(name, rid)
            (scans / (f"card{i}.png" if i % 2 == 0 else f"card{i}.pdf")).write_bytes(png if i % 2 == 0 else image_pdf(png))
        base, _ = _timed_scan([str(scans), "--workers", str(args.workers)])
        ocr_wall, ocr_findings = _timed_scan([str(scans), "--workers", str(args.workers), "--ocr"])
        found = sum(1 for d in ocr_findings["datasets"] for c in d["columns"] if c["primary_entity"] == "CN_RESIDENT_ID")
        print(f"OCR of {args.ocr_pages} scanned pages (chi_sim+eng): {ocr_wall:.1f} s wall, {base:.1f} s without "
              f"--ocr; {args.ocr_pages / (ocr_wall - base):.2f} pages/s marginal, "
              f"{args.ocr_pages / ocr_wall:.2f} pages/s end to end ({CPU[-1] - CPU[-2]:.1f} CPU s more); "
              f"ID number found in {found}/{args.ocr_pages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

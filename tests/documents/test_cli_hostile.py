"""Hostile documents through the real command: exit 3, one line each, the rest scanned, nothing outside OUTDIR."""

from __future__ import annotations

import io
import json
from pathlib import Path

from scanner.documents.limits import MiB
from tests.documents.builders import ID_NUMBER, docx_bytes, tar_bytes, zip_bytes
from tests.documents.olegen import encrypted_ooxml
from tests.documents.pdfgen import text_pdf
from tests.hostile.harness import assert_error_line, assert_no_traceback, run_cli, written_files


def _encrypted_pdf() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(text_pdf([[f"ID {ID_NUMBER}"]])))
    writer.encrypt(user_password="user-secret", owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HOSTILE = {
    "bomb.zip": (lambda: zip_bytes({f"{ID_NUMBER}.txt": b"\0" * (20 * MiB)}), "zip bomb: ratio "),
    "bomb.tgz": (lambda: tar_bytes({"zeros.txt": b"\0" * (20 * MiB)}), "zip bomb: ratio "),
    "evil.zip": (lambda: zip_bytes({"ok.txt": b"1", "../../escaped.txt": ID_NUMBER.encode()}),
                 "unsafe member name in archive (path traversal)"),
    "locked.docx": (encrypted_ooxml, "encrypted document"),
    "locked.pdf": (_encrypted_pdf, "encrypted document"),
    "broken.pdf": (lambda: b"%PDF-1.4\n" + ID_NUMBER.encode(), "corrupt pdf"),
    "broken.docx": (lambda: ID_NUMBER.encode(), "corrupt docx: not a zip package"),
    "huge.pdf": (lambda: text_pdf([["page"]] * 4), "pdf over page limit: 4 pages over limit 3"),
}


def test_each_hostile_document_is_one_line_and_the_rest_is_scanned(tmp_path: Path) -> None:
    work = tmp_path / "work"
    share = work / "share"
    share.mkdir(parents=True)
    for name, (build, _line) in HOSTILE.items():
        (share / name).write_bytes(build())
    (share / "ok.docx").write_bytes(docx_bytes())
    (share / "inner.zip").write_bytes(zip_bytes({"good.docx": docx_bytes(), "locked.docx": encrypted_ooxml()}))
    before = {p for p in written_files(tmp_path)}
    out = work / "out"
    run = run_cli(["scan", str(share), "-o", str(out), "--no-history", "--max-pdf-pages", "3"], cwd=work)
    assert_no_traceback(run)
    assert run.code == 3
    for name, (_build, line) in HOSTILE.items():
        found = assert_error_line(run, name, line)
        assert ID_NUMBER not in found
    assert_error_line(run, "inner.zip!/locked.docx", "encrypted document")  # its sibling is still read
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    ids = {d["id"] for d in findings["datasets"]}
    assert {"ok.docx", "inner.zip!/good.docx", "inner.zip!/locked.docx"} <= ids
    assert not any(i.startswith(tuple(HOSTILE)) for i in ids)
    assert len(findings["errors"]) == len(HOSTILE) + 1
    new = {p for p in written_files(tmp_path)} - before
    state = work / ".piiwarden"  # the audit log's default place, beside OUTDIR
    assert all(out in p.parents or state in p.parents for p in new), sorted(map(str, new))
    assert not any(p.name == "escaped.txt" for p in written_files(tmp_path))
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert ID_NUMBER not in run.console


def test_anonymize_of_hostile_documents_writes_nothing_for_them(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("evil.zip", "locked.docx", "bomb.zip"):
        (src / name).write_bytes(HOSTILE[name][0]())
    (src / "ok.docx").write_bytes(docx_bytes())
    out = tmp_path / "out"
    run = run_cli(["anonymize", str(src), "-o", str(out)], cwd=tmp_path)
    assert_no_traceback(run)
    assert run.code == 3
    produced = {p.relative_to(out).as_posix() for p in written_files(out)}
    assert produced == {"anonymization.json", "ok.docx"}
    outside = {p for p in written_files(tmp_path) if out not in p.parents and src not in p.parents}
    assert {p.relative_to(tmp_path).parts[0] for p in outside} <= {".piiwarden"}

"""Hostile documents: each refused with one value-free line, never a traceback or a hang."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from scanner.documents import DocumentError, Limits, Part, ReadOptions, Unreadable, read_document
from scanner.documents.limits import MiB, check_member_name
from tests.documents.builders import ID_NUMBER, tar_bytes, zip_bytes
from tests.documents.olegen import encrypted_ooxml, xls_bytes
from tests.documents.pdfgen import text_pdf


def refusal(name: str, data: bytes, limits: Limits | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        list(read_document(name, data, ReadOptions(limits=limits or Limits())))
    line = caught.value.line
    assert "\n" not in line and ID_NUMBER not in line and "Traceback" not in line
    return caught.value


def test_zip_bomb_by_declared_ratio() -> None:
    data = zip_bytes({f"{ID_NUMBER}.txt": b"\0" * (20 * MiB)})
    err = refusal("bomb.zip", data)
    assert (
        err.kind == "limit"
        and err.line.startswith("zip bomb: ratio ")
        and err.line.endswith(":1 over limit 100:1")
    )


def test_zip_bomb_by_actual_bytes_in_a_stream() -> None:
    """tar.gz declares nothing: the ratio is measured on bytes actually decompressed."""
    err = refusal("bomb.tgz", tar_bytes({"zeros.txt": b"\0" * (20 * MiB)}))
    assert err.line.startswith("zip bomb: ratio ")


def test_total_size_limit() -> None:
    noise = random.Random(0).randbytes(3 * MiB)  # incompressible: only the size limit applies
    err = refusal("big.zip", zip_bytes({"a.txt": noise}), Limits(max_total_bytes=2 * MiB))
    assert err.line == "archive over size limit: more than 2 MiB uncompressed"


def test_member_count_limit() -> None:
    data = zip_bytes({f"m{i}.txt": b"x" for i in range(20)})
    assert (
        refusal("many.zip", data, Limits(max_members=10)).line
        == "archive over member limit: more than 10 members"
    )


def test_nesting_depth_limit() -> None:
    data = b"hello"
    name = "x.txt"
    for level in range(7):
        data, name = zip_bytes({name: data}), f"l{level}.zip"
    assert refusal("deep.zip", data, Limits(max_depth=5)).line == "archive nesting over depth limit 5"
    assert [
        p.text
        for p in read_document("deep.zip", data, ReadOptions(Limits(max_depth=8)))
        if isinstance(p, Part)
    ] == ["hello"]


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/x", "a/../../x", "/etc/passwd", "C:\\Windows\\x", "C:x", "..\\x", "a\0b"]
)
def test_path_traversal_names_are_refused(name: str) -> None:
    with pytest.raises(DocumentError) as caught:
        check_member_name(name)
    assert caught.value.line == "unsafe member name in archive (path traversal)" and caught.value.fatal


def test_traversal_member_stops_the_archive() -> None:
    data = zip_bytes({"ok.txt": b"1", "../../evil.txt": b"2"})
    assert refusal("t.zip", data).kind == "unsafe"
    assert refusal("t.tar", tar_bytes({"../x.txt": b"2"}, "w")).kind == "unsafe"


def test_encrypted_office_files() -> None:
    for name in ("locked.docx", "locked.pptx"):
        assert refusal(name, encrypted_ooxml()).line == "encrypted document"
    assert refusal("locked.xls", xls_bytes({"a": [["x"]]}, encrypted=True)).line == "encrypted document"


def _encrypted_pdf(user_password: str) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(text_pdf([[f"ID {ID_NUMBER}"]])))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_is_refused_but_owner_only_protection_is_read() -> None:
    assert refusal("locked.pdf", _encrypted_pdf("user-secret")).line == "encrypted document"
    (part,) = [p for p in read_document("print-protected.pdf", _encrypted_pdf("")) if isinstance(p, Part)]
    assert ID_NUMBER in part.text


def test_pdf_page_limit() -> None:
    data = text_pdf([["p"]] * 5)
    assert (
        refusal("huge.pdf", data, Limits(max_pdf_pages=3)).line == "pdf over page limit: 5 pages over limit 3"
    )


@pytest.mark.parametrize(
    "name,data,line",
    [
        ("a.zip", b"PK\3\4" + ID_NUMBER.encode(), "corrupt zip: not a readable zip archive"),
        ("a.pdf", b"%PDF-1.4\n" + ID_NUMBER.encode(), "corrupt pdf"),
        ("a.pdf", ID_NUMBER.encode(), "corrupt pdf: no PDF header"),
        ("a.docx", ID_NUMBER.encode(), "corrupt docx: not a zip package"),
        ("a.docx", zip_bytes({f"{ID_NUMBER}.xml": ID_NUMBER.encode()}), "corrupt docx"),
        ("a.xls", ID_NUMBER.encode(), "corrupt xls: not an OLE compound file"),
        ("a.eml", b"", "corrupt eml: no headers"),
    ],
)
def test_corrupt_files_one_line_each(name: str, data: bytes, line: str) -> None:
    assert refusal(name, data).line == line


def test_crc_error_in_member_is_reported_as_unreadable() -> None:
    data = bytearray(zip_bytes({"a.txt": ID_NUMBER.encode() * 100}, zipfile.ZIP_STORED))
    at = data.index(ID_NUMBER.encode())
    data[at] ^= 1
    (record,) = read_document("a.zip", bytes(data))
    assert isinstance(record, Unreadable) and record.error == "corrupt zip: damaged compressed data"


def test_encrypted_zip_member_is_reported() -> None:
    data = bytearray(zip_bytes({"a.txt": b"x"}))
    for header in (b"PK\3\4", b"PK\1\2"):  # set the "encrypted" flag bit in both headers
        at = data.index(header) + (6 if header == b"PK\3\4" else 8)
        data[at] |= 1
    (record,) = read_document("a.zip", bytes(data))
    assert isinstance(record, Unreadable) and record.error == "encrypted document"


def test_damaged_member_is_unreadable_and_the_next_member_read() -> None:
    """A nested .docx whose gzip wrapper fails while being materialised: that member alone is
    unreadable, the archive around it goes on."""
    import gzip

    from tests.documents.builders import docx_bytes

    packed = bytearray(gzip.compress(docx_bytes()))
    packed[len(packed) // 2] ^= 0xFF
    data = zip_bytes({"a.docx.gz": bytes(packed), "b.txt": b"next"}, zipfile.ZIP_STORED)
    records = list(read_document("x.zip", data))
    assert records[0] == Unreadable(records[0].path, "corrupt gz: damaged compressed data")
    assert str(records[0].path) == "x.zip!/a.docx.gz!/a.docx"
    assert isinstance(records[1], Part) and records[1].text == "next"

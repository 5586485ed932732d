"""Each reader yields its parts with their locations; nested members carry nested ids."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import pytest

from scanner.documents import NotRead, Part, Unreadable, read_document
from scanner.documents.registry import reader_for, supported_suffixes
from tests.documents.builders import (
    EMAIL,
    ID_NUMBER,
    NAME,
    PHONE,
    docx_bytes,
    eml_bytes,
    mailbox_zip,
    pptx_bytes,
    tar_bytes,
    xlsx_bytes,
    zip_bytes,
)
from tests.documents.olegen import xls_bytes
from tests.documents.pdfgen import text_pdf


def parts(records: Iterable[object]) -> list[Part]:
    return [r for r in records if isinstance(r, Part)]


def located(records: Iterable[object]) -> dict[tuple[str, str, int], Part]:
    return {(str(p.path), p.kind, p.index): p for p in parts(records)}


def test_docx_paragraphs_tables_headers_footers_comments() -> None:
    got = located(read_document("合同.docx", docx_bytes()))
    assert got[("合同.docx", "paragraph", 1)].text == "甲方：张三，电话 13812345678。"
    assert ID_NUMBER in got[("合同.docx", "paragraph", 2)].text
    table = got[("合同.docx#table1", "table", 1)]
    assert table.rows == (("姓名", "邮箱"), ("李四", EMAIL))
    assert NAME in got[("合同.docx", "header", 1)].text
    assert PHONE in got[("合同.docx", "footer", 1)].text
    assert NAME in got[("合同.docx", "comment", 1)].text


def test_pptx_slides_tables_notes() -> None:
    got = located(read_document("deck.pptx", pptx_bytes()))
    assert got[("deck.pptx", "slide", 1)].text == "客户 张三"
    assert got[("deck.pptx#table1", "table", 1)].rows == (("姓名", "手机"), ("王五", PHONE))
    assert got[("deck.pptx#table1", "table", 1)].label == "slide2"
    assert ID_NUMBER in got[("deck.pptx", "notes", 2)].text


def test_xls_sheets_are_tables_and_numbers_read_as_written() -> None:
    data = xls_bytes({"客户": [["姓名", "手机"], [NAME, float(PHONE)]], "空": []})
    got = parts(read_document("old.xls", data))
    assert [(str(p.path), p.kind, p.index, p.label) for p in got] == [("old.xls#客户", "sheet", 1, "客户")]
    assert got[0].rows == (("姓名", "手机"), (NAME, PHONE))


def test_pdf_pages_in_order_lazily() -> None:
    data = text_pdf([["Page one"], [f"ID {ID_NUMBER}"], ["third"]])
    records = read_document("scan.pdf", data)
    first = next(records)
    assert isinstance(first, Part) and (first.kind, first.index) == ("page", 1)
    rest = parts(records)
    assert [(p.kind, p.index) for p in rest] == [("page", 2), ("page", 3)]
    assert ID_NUMBER in rest[0].text


def test_image_only_pdf_page_is_counted_not_read_without_ocr() -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(out, format="PDF")
    records = list(read_document("scan.pdf", out.getvalue()))
    assert records == [NotRead(records[0].path, "image_page", 1, "OCR off")]


def test_eml_headers_subject_body_once_and_attachments_nested() -> None:
    data = eml_bytes({"附件.xlsx": xlsx_bytes(), "note.txt": f"电话 {PHONE}".encode()})
    records = list(read_document("123.eml", data))
    got = located(records)
    assert got[("123.eml", "header", 1)].label == "From" and EMAIL in got[("123.eml", "header", 1)].text
    assert got[("123.eml", "header", 2)].label == "To"
    assert ID_NUMBER in got[("123.eml", "subject", 1)].text
    bodies = [p for p in parts(records) if p.kind == "body" and p.path.depth == 0]
    assert len(bodies) == 1 and PHONE in bodies[0].text and "x=1" not in bodies[0].text
    sheet = got[("123.eml!/附件.xlsx#Sheet1", "sheet", 1)]
    assert sheet.rows is not None and sheet.rows[1] == (NAME, ID_NUMBER, PHONE)
    assert PHONE in got[("123.eml!/note.txt", "body", 1)].text


def test_html_visible_text_only() -> None:
    page = f"<html><head><title>t</title><style>.a{{}}</style></head><body><p>{NAME}</p><td>{PHONE}</td><script>var s='{ID_NUMBER}'</script></body></html>"
    (part,) = parts(read_document("page.html", page.encode()))
    assert part.text == f"{NAME}\n{PHONE}"


def test_issue_example_id_zip_eml_xlsx() -> None:
    ids = {str(p.path) for p in parts(read_document("mail/2025-03.zip", mailbox_zip()))}
    assert "mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1" in ids
    assert "mail/2025-03.zip!/inbox/123.eml" in ids


@pytest.mark.parametrize(
    "mode,name", [("w", "a.tar"), ("w:gz", "a.tar.gz"), ("w:gz", "a.tgz"), ("w:bz2", "a.tar.bz2")]
)
def test_tar_members_are_read_in_order(mode: str, name: str) -> None:
    data = tar_bytes({"x/1.txt": f"tel {PHONE}".encode(), "x/2.html": f"<p>{NAME}</p>".encode()}, mode)
    got = [(str(p.path), p.text) for p in parts(read_document(name, data))]
    assert got == [(f"{name}!/x/1.txt", f"tel {PHONE}"), (f"{name}!/x/2.html", NAME)]


def test_gz_single_member_and_csv_table() -> None:
    import gzip

    data = gzip.compress(f"name,phone\n{NAME},{PHONE}\n".encode())
    (part,) = parts(read_document("dump/users.csv.gz", data))
    assert str(part.path) == "dump/users.csv.gz!/users.csv#csv"
    assert part.rows == (("name", "phone"), (NAME, PHONE))


def test_zip_gbk_member_names_are_decoded() -> None:
    gbk = "合同.txt".encode("gbk")  # what Chinese Windows zip tools write, without the UTF-8 flag
    data = zip_bytes({"ab12.txt": b"x"}, zipfile.ZIP_STORED).replace(b"ab12.txt", gbk)
    (part,) = parts(read_document("a.zip", data))
    assert str(part.path) == "a.zip!/合同.txt"


def test_unknown_members_are_reported_not_read() -> None:
    records = list(read_document("a.zip", zip_bytes({"blob.bin": b"\0\1", "scan.jpg": b"\xff\xd8"})))
    assert [(str(r.path), r.kind) for r in records if isinstance(r, NotRead)] == [
        ("a.zip!/blob.bin", "unsupported"),
        ("a.zip!/scan.jpg", "image"),
    ]


def test_corrupt_member_is_reported_and_siblings_still_read() -> None:
    data = zip_bytes({"bad.docx": b"PK\3\4 truncated", "ok.txt": PHONE.encode()})
    records = list(read_document("a.zip", data))
    assert Unreadable(records[0].path, "corrupt docx") == records[0]
    assert isinstance(records[1], Part) and records[1].text == PHONE


def test_registry_picks_longest_suffix() -> None:
    tar, gz = reader_for("a.TAR.GZ"), reader_for("a.csv.gz")
    assert tar is not None and tar.name == "tar"
    assert gz is not None and gz.name == "gzip"
    assert reader_for("a.exe") is None
    assert {
        ".docx",
        ".pptx",
        ".xls",
        ".pdf",
        ".eml",
        ".html",
        ".zip",
        ".tar",
        ".tgz",
        ".gz",
        ".png",
    } <= supported_suffixes()


def test_pictures_in_office_files_are_counted_not_read_without_ocr() -> None:
    from tests.documents.builders import docx_with_picture, tiny_png

    records = list(read_document("合同.docx", docx_with_picture(tiny_png())))
    # python-docx's template also holds docProps/thumbnail.jpeg, a page-1 preview: not content, not listed
    assert sorted((str(r.path), r.kind) for r in records if isinstance(r, NotRead)) == [
        ("合同.docx!/word/media/image1.png", "image"),
    ]


def test_documents_stream_member_by_member() -> None:
    """The first member's part comes out before the archive has been read to its end."""

    class Forward(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.pos = data, 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            chunk = self.data[self.pos : self.pos + min(len(buffer), 4096)]
            buffer[: len(chunk)] = chunk
            self.pos += len(chunk)
            return len(chunk)

    noise = bytes(range(256)) * 4096  # 1 MiB per member
    data = tar_bytes(
        {f"m{i}.txt": f"member {i} ".encode() + noise.hex().encode()[:2_000_000] for i in range(4)}, "w"
    )
    source = Forward(data)
    first = next(read_document("big.tar", io.BufferedReader(source)))  # type: ignore[arg-type]
    assert isinstance(first, Part) and first.text.startswith("member 0")
    assert source.pos < len(data) / 2


def test_eml_every_inline_text_body_is_read() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "a@example.com"
    message.set_content("first body")
    message.add_attachment("second inline body " + PHONE, disposition="inline")
    bodies = [
        p.text.strip()
        for p in read_document("m.eml", bytes(message.as_bytes()))
        if isinstance(p, Part) and p.kind == "body"
    ]
    assert bodies == ["first body", "second inline body " + PHONE]

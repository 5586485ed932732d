"""Rewriting for anonymize: values gone from every byte, formatting and structure kept."""

from __future__ import annotations

import email
import email.policy
import io
import tarfile
import zipfile
from collections.abc import Callable

import pytest

from scanner.documents import DocumentError, Part, read_document, rewrite_document
from scanner.documents.runs import spread
from tests.documents.builders import (
    EMAIL,
    ID_NUMBER,
    NAME,
    PHONE,
    docx_bytes,
    eml_bytes,
    pptx_bytes,
    tar_bytes,
    xlsx_bytes,
    zip_bytes,
)
from tests.documents.pdfgen import text_pdf

VALUES = (NAME, PHONE, ID_NUMBER, EMAIL, "李四", "王五")


def mask(text: str) -> str:
    """Same-length masks, as the mask operator produces."""
    for value in VALUES:
        text = text.replace(value, "*" * len(value))
    return text


def rewritten(name: str, data: bytes, rewrite: Callable[[str], str] = mask) -> bytes:
    out = io.BytesIO()
    rewrite_document(name, io.BytesIO(data), out, rewrite)
    return out.getvalue()


def assert_no_value_in_zip(data: bytes) -> None:
    """Every member of an Office package, decompressed: no original value anywhere."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            body = package.read(info).decode("utf-8", errors="replace")
            for value in VALUES:
                assert value not in body, info.filename


def test_spread_keeps_characters_in_their_runs() -> None:
    assert spread(["甲方：", "张", "三", "，"], "甲方：**，") == ["甲方：", "*", "*", "，"]
    assert spread(["a", "张", "三", "b"], "a[姓名]b") == ["a", "[姓", "名]", "b"]
    assert spread(["x", "y"], "xy!") == ["x", "y!"]


def _runs(data: bytes) -> list[tuple[str, str]]:
    import docx
    from lxml import etree

    paragraph = docx.Document(io.BytesIO(data)).paragraphs[0]
    return [(r.text, etree.tostring(r._r.rPr) if r._r.rPr is not None else b"") for r in paragraph.runs]  # type: ignore[misc]


def test_docx_run_styles_kept_when_a_value_crosses_runs() -> None:
    before, after = _runs(docx_bytes()), _runs(rewritten("a.docx", docx_bytes()))
    assert [style for _, style in after] == [style for _, style in before]
    assert [text for text, _ in after] == ["甲方：", "*", "*", "，电话 ***", "****", "****。"]


def test_docx_longer_replacement_is_split_over_the_runs() -> None:
    after = _runs(rewritten("a.docx", docx_bytes(), lambda t: t.replace(NAME, "[姓名]")))
    assert [text for text, _ in after][:3] == ["甲方：", "[姓", "名]"]


def test_docx_no_value_left_in_any_part() -> None:
    out = rewritten("合同.docx", docx_bytes())
    assert_no_value_in_zip(out)
    texts = " ".join(p.text for p in read_document("合同.docx", out) if isinstance(p, Part))
    assert "***" in texts and "姓名" in texts


def test_pptx_runs_kept_and_no_value_left() -> None:
    from pptx import Presentation

    out = rewritten("deck.pptx", pptx_bytes())
    assert_no_value_in_zip(out)
    runs = Presentation(io.BytesIO(out)).slides[0].shapes.title.text_frame.paragraphs[0].runs
    assert [(r.text, r.font.bold, r.font.italic) for r in runs] == [
        ("客户 ", None, None),
        ("*", True, None),
        ("*", None, True),
    ]


def test_eml_headers_bodies_and_attachments_rewritten() -> None:
    original = eml_bytes({"附件.xlsx": xlsx_bytes(), "note.txt": f"电话 {PHONE}".encode()})
    out = rewritten("123.eml", original)
    message = email.message_from_bytes(out, policy=email.policy.default)
    assert "*" in str(message["From"]) and "*" in str(message["Subject"])
    texts = [p.text for p in read_document("123.eml", out) if isinstance(p, Part)]
    joined = "\n".join(texts)
    for value in VALUES:
        assert value not in joined
    assert [a.get_filename() for a in message.iter_attachments()] == ["附件.xlsx", "note.txt"]
    assert_no_value_in_zip(next(a for a in message.iter_attachments()).get_content())


def test_zip_rebuilt_with_same_names_order_and_dates() -> None:
    members = {"b/合同.docx": docx_bytes(), "a/note.txt": f"tel {PHONE}".encode(), "z/blob.bin": b"\0\1"}
    source = zip_bytes(members)
    out = io.BytesIO()
    result = rewrite_document("share.zip", io.BytesIO(source), out, mask)
    with zipfile.ZipFile(io.BytesIO(source)) as before, zipfile.ZipFile(out) as after:
        assert [(i.filename, i.date_time) for i in after.infolist()] == [
            (i.filename, i.date_time) for i in before.infolist()
        ]
        assert after.read("a/note.txt") == b"tel ***********"
        assert_no_value_in_zip(after.read("b/合同.docx"))
        assert after.read("z/blob.bin") == b"\0\1"
    assert [str(p) for p in result.copied] == ["share.zip!/z/blob.bin"]


@pytest.mark.parametrize("mode,name", [("w:gz", "a.tar.gz"), ("w", "a.tar")])
def test_tar_rebuilt_with_same_names(mode: str, name: str) -> None:
    source = tar_bytes(
        {"x/1.csv": f"n,p\n{NAME},{PHONE}\n".encode(), "x/2.html": f"<p>{NAME}</p>".encode()}, mode
    )
    out = rewritten(name, source)
    with tarfile.open(fileobj=io.BytesIO(out)) as archive:
        assert archive.getnames() == ["x/1.csv", "x/2.html"]
        first = archive.extractfile("x/1.csv")
        assert first is not None and first.read() == b"n,p\n**,***********\n"


def test_gz_member_rewritten() -> None:
    import gzip

    out = rewritten("users.csv.gz", gzip.compress(f"{NAME},{PHONE}\n".encode()))
    assert gzip.decompress(out) == b"**,***********\n"


def image_only_pdf() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(out, format="PDF")
    return out.getvalue()


@pytest.mark.parametrize(
    "name,data,line",
    [
        ("scan.pdf", image_only_pdf(), "cannot redact PDF safely: image-only page needs OCR"),
        ("id.png", b"\x89PNG", "cannot redact image safely without OCR"),
        (
            "share.zip",
            zip_bytes({"ok.txt": b"x", "scan.pdf": image_only_pdf()}),
            "cannot redact PDF safely: image-only page needs OCR",
        ),
        ("old.xls", b"", "cannot rewrite .xls in place (no .xls writer)"),
        ("x.exe", b"", "unsupported document type"),
    ],
)
def test_unsafe_formats_are_refused_never_copied(name: str, data: bytes, line: str) -> None:
    out = io.BytesIO()
    with pytest.raises(DocumentError) as caught:
        rewrite_document(name, io.BytesIO(data), out, mask)
    assert caught.value.line == line
    assert ID_NUMBER.encode() not in out.getvalue()


def test_traversal_member_refused_when_rewriting() -> None:
    with pytest.raises(DocumentError) as caught:
        rewritten("t.zip", zip_bytes({"../../evil.txt": b"x"}))
    assert caught.value.kind == "unsafe"


def test_xls_is_written_as_xlsx_with_cells_rewritten() -> None:
    import openpyxl  # type: ignore[import-untyped]

    from scanner.documents.xls_to_xlsx import rewrite_xls_as_xlsx, xlsx_name
    from tests.documents.olegen import xls_bytes

    source = xls_bytes({"客户": [["姓名", "手机"], [NAME, float(PHONE)]], "其他": [["ok"]]})
    out = io.BytesIO()
    rewrite_xls_as_xlsx(io.BytesIO(source), out, mask)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["客户", "其他"]
    assert [list(r) for r in book["客户"].iter_rows(values_only=True)] == [
        ["姓名", "手机"],
        ["**", "***********"],
    ]
    assert xlsx_name("a/old.xls") == "a/old.xls.xlsx"


def test_pictures_in_office_files_are_listed_as_kept_without_ocr() -> None:
    from tests.documents.builders import docx_with_picture, tiny_png

    out = io.BytesIO()
    result = rewrite_document("合同.docx", io.BytesIO(docx_with_picture(tiny_png())), out, mask)
    assert sorted(str(p) for p in result.copied) == ["合同.docx!/word/media/image1.png"]
    # the preview picture shows the original first page: dropped, never carried into the output
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        assert not [n for n in package.namelist() if "thumbnail" in n]
        assert b"thumbnail" not in package.read("[Content_Types].xml")


def _all_stream_bytes(data: bytes) -> bytes:
    """Every decoded stream and string of the PDF, so a value kept anywhere would show."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    chunks: list[bytes] = []
    numbers = {n for table in reader.xref.values() for n in table} | set(reader.xref_objStm)
    for number in sorted(numbers - {0}):
        obj = reader.get_object(number)
        if hasattr(obj, "get_data"):
            chunks.append(obj.get_data())
        chunks.append(repr(obj).encode("utf-8", "replace"))
    return b"\n".join(chunks)


def test_pdf_text_removed_from_the_content_stream_and_metadata() -> None:
    import pypdf

    writer = pypdf.PdfWriter(
        clone_from=io.BytesIO(
            text_pdf([["Name Li Si", f"ID {ID_NUMBER} here", f"tel {PHONE}"], ["page two"]])
        )
    )
    writer.add_metadata({"/Author": f"{NAME} {PHONE}", "/Title": "contract"})
    writer.add_outline_item(title=f"借款人 {NAME}", page_number=0)
    source = io.BytesIO()
    writer.write(source)
    out = rewritten("合同.pdf", source.getvalue())
    texts = [p.text for p in read_document("合同.pdf", out) if isinstance(p, Part)]
    assert texts[0].splitlines() == ["Name Li Si"] and texts[1].strip() == "page two"
    assert ID_NUMBER.encode() not in out and PHONE.encode() not in out
    everything = _all_stream_bytes(out)
    assert ID_NUMBER.encode() not in everything and PHONE.encode() not in everything
    result = pypdf.PdfReader(io.BytesIO(out))
    metadata = result.metadata
    assert metadata is not None and metadata["/Title"] == "contract" and NAME not in metadata["/Author"]
    assert [item.title for item in result.outline] == ["借款人 **"]  # type: ignore[union-attr]


def test_pdf_refused_when_redaction_cannot_be_verified() -> None:
    with pytest.raises(DocumentError) as caught:
        rewritten("a.pdf", text_pdf([["hello"]]), lambda text: text + "!")
    assert caught.value.line == "cannot redact PDF safely: text still readable after redaction"


def test_encrypted_pdf_refused_when_rewriting() -> None:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(text_pdf([[ID_NUMBER]])))
    writer.encrypt(user_password="u", owner_password="o", algorithm="AES-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(DocumentError) as caught:
        rewritten("a.pdf", locked.getvalue())
    assert caught.value.line == "encrypted document"

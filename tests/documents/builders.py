"""Documents built in memory for the document tests (deterministic, synthetic values only)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from email.message import EmailMessage

ID_NUMBER = "110101199003077571"  # synthetic, valid check digit (is_valid_resident_id)
PHONE = "13812345678"
NAME = "张三"
EMAIL = "zhangsan@example.com"


def docx_bytes() -> bytes:
    """Body paragraph (value split over styled runs), a table, header, footer and a comment."""
    import docx
    from docx.shared import RGBColor

    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("甲方：")
    paragraph.add_run("张").bold = True
    second = paragraph.add_run("三")
    second.italic = True
    second.font.color.rgb = RGBColor(0xC0, 0, 0)
    paragraph.add_run("，电话 138")
    paragraph.add_run("1234").underline = True
    paragraph.add_run("5678。")
    document.add_paragraph(f"身份证号 {ID_NUMBER}")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "姓名", (0, 1): "邮箱", (1, 0): "李四", (1, 1): EMAIL}.items():
        table.cell(r, c).text = text
    section = document.sections[0]
    section.header.paragraphs[0].text = f"经办人 {NAME}"
    section.footer.paragraphs[0].text = f"联系电话 {PHONE}"
    document.add_comment(document.paragraphs[1].runs[0], text=f"核对 {NAME} 的证件", author="审核员")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    """Slide 1: title with a value over two runs; slide 2: a table and speaker notes."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    frame = slide.shapes.title.text_frame
    frame.text = "客户 "
    run = frame.paragraphs[0].add_run()
    run.text = "张"
    run.font.bold = True
    run = frame.paragraphs[0].add_run()
    run.text = "三"
    run.font.italic = True
    second = deck.slides.add_slide(deck.slide_layouts[6])
    table = second.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1)).table
    for (r, c), text in {(0, 0): "姓名", (0, 1): "手机", (1, 0): "王五", (1, 1): PHONE}.items():
        table.cell(r, c).text = text
    second.notes_slide.notes_text_frame.text = f"证件号 {ID_NUMBER}"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["姓名", "身份证号", "手机"])
    sheet.append([NAME, ID_NUMBER, int(PHONE)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def eml_bytes(attachments: dict[str, bytes] | None = None, html: bool = True) -> bytes:
    """A mail from 张三 with a plain/HTML alternative body and the given attachments."""
    message = EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = "李四 <lisi@example.com>"
    message["Subject"] = f"合同 {NAME} 身份证 {ID_NUMBER}"
    message.set_content(f"您好，我的电话是 {PHONE}。")
    if html:
        message.add_alternative(
            f"<html><body><p>您好，我的电话是 <b>{PHONE}</b>。</p><script>x=1</script></body></html>",
            subtype="html",
        )
    for name, data in (attachments or {}).items():
        maintype, subtype = ("text", "plain") if name.endswith(".txt") else ("application", "octet-stream")
        if maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=name)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message.as_bytes())


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_bytes(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def mailbox_zip() -> bytes:
    """The issue's example: ``mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1``."""
    return zip_bytes({"inbox/123.eml": eml_bytes({"附件.xlsx": xlsx_bytes()})})


def docx_with_picture(png: bytes) -> bytes:
    """A contract with a pasted picture (a scanned ID card, in the OCR tests)."""
    import docx

    document = docx.Document()
    document.add_paragraph("附件：身份证复印件")
    document.add_picture(io.BytesIO(png))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()

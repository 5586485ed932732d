"""The ``sample_data/share/`` folder: a small file share of documents (issue 17), generated deterministically.

Written by ``scripts/make_sample_data.py`` (``make sample-data``)::

    share/合同/2024/张三-借款合同.docx      Chinese loan contract: parties' names, ID numbers, mobiles, a table
    share/合同/2024/张三-借款合同.pdf       the same contract as a PDF with a text layer (Chinese, CID font)
    share/contracts/loan-agreement-en.docx English contract
    share/contracts/loan-agreement-en.pdf  English contract as a PDF
    share/scans/身份证-样例.png            a scanned ID card, synthetic (valid check digit, marked 样例/SAMPLE)
    share/mail/2025-03.zip                 inbox/123.eml with 附件.xlsx attached (the issue's example)

All values come from the caller's seeded generators; every zip timestamp, document date, MIME
boundary and message id is fixed, so a rerun writes byte-identical files (for given library and
font versions). The ID card needs a CJK font (``fonts-wqy-microhei``, ``make ocr`` installs it).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

FIXED = dt.datetime(2024, 12, 1, 9, 0, 0)
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


@dataclass(frozen=True)
class Party:
    """A synthetic person in the contracts."""

    name: str
    resident_id: str
    mobile: str
    address: str
    email: str


def _fixed_zip(data: bytes) -> bytes:
    """An Office/zip package re-written with fixed timestamps and document dates (byte-identical reruns)."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)",
                              rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6]), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _docx(paragraphs: list[str], table: list[list[str]], title: str) -> bytes:
    """A contract: a bold title, paragraphs (the lender's name in bold), a parties table; no thumbnail."""
    import docx

    document = docx.Document()
    document.core_properties.author = "piiwarden sample generator"
    document.core_properties.title = title
    heading = document.add_paragraph()
    heading.add_run(title).bold = True
    for text in paragraphs:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            grid.cell(r, c).text = text
    package = document.part.package
    for rid, rel in list(package.rels.items()):  # the template's page preview is not part of the sample
        if rel.reltype.endswith("/thumbnail"):
            package.rels.pop(rid)
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip(buf.getvalue())


def _pdf(pages: list[list[str]], cjk: bool) -> bytes:
    """A text PDF; Chinese text uses the standard CID font STSong-Light (UniGB-UCS2-H), nothing embedded."""
    objects: list[bytes] = [b"", b""]
    if cjk:
        objects.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                       b"/DescendantFonts [4 0 R] >>")
        objects.append(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                       b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
                       b"/FontDescriptor 5 0 R /DW 1000 >>")
        objects.append(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                       b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    else:
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

    def show(text: str) -> str:
        if cjk:
            return "<" + text.encode("utf-16-be").hex().upper() + "> Tj T*"
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*"

    kids = []
    for lines in pages:
        ops = ["BT /F1 12 Tf 18 TL 50 790 Td", *(show(line) for line in lines), "ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects)))
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _id_card(party: Party, birth: str, sex: str) -> bytes:
    """A synthetic ID card as a PNG, marked as a sample on its face."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = next((p for p in FONT_CANDIDATES if p.is_file()), None)
    if font_path is None:
        raise SystemExit("share/scans needs a CJK font: apt-get install fonts-wqy-microhei (make ocr)")
    image = Image.new("RGB", (1000, 630), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    big = ImageFont.truetype(str(font_path), 44)
    small = ImageFont.truetype(str(font_path), 30)
    lines = [(f"姓名  {party.name}", 60), (f"性别  {sex}    民族  汉", 140), (f"出生  {birth}", 220),
             (f"住址  {party.address[:16]}", 300), (f"公民身份号码  {party.resident_id}", 480)]
    for text, top in lines:
        draw.text((60, top), text, fill=(20, 20, 20), font=big)
    draw.text((720, 60), "样例 SAMPLE", fill=(180, 30, 30), font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _xlsx(rows: list[list[str]], save: Callable[[object, Path], None], tmp: Path) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(row)
    save(book, tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    return data


def _eml(sender: Party, to: Party, attachment: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender.name} <{sender.email}>"
    message["To"] = f"{to.name} <{to.email}>"
    message["Subject"] = f"借款合同附件 {sender.name}"
    message["Date"] = "Mon, 03 Mar 2025 10:00:00 +0800"
    message["Message-ID"] = "<sample-123@share.example.com>"
    message.set_content(f"{to.name}您好：\n附件是客户名单，请核对。我的手机 {sender.mobile}，身份证号 {sender.resident_id}。\n")
    message.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="附件.xlsx")
    message.set_boundary("==piiwarden-sample-boundary==")
    return message.as_bytes(policy=SMTP)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6]), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_share(out: Path, parties: list[Party], births: list[tuple[str, str]],
                customers: list[list[str]], save_xlsx: Callable[[object, Path], None]) -> dict[str, int]:
    """Write ``out/share/``; ``parties[0]`` borrows from ``parties[1]``, ``births[0]`` is the card's (date, sex)."""
    share = out / "share"
    share.mkdir(parents=True, exist_ok=True)
    borrower, lender = parties[0], parties[1]
    zh = [
        f"甲方（出借人）：{lender.name}，身份证号 {lender.resident_id}，手机 {lender.mobile}。",
        f"乙方（借款人）：{borrower.name}，身份证号 {borrower.resident_id}，手机 {borrower.mobile}，"
        f"住址 {borrower.address}。",
        "借款金额人民币伍万元整，借款期限十二个月，年利率百分之四。",
        "乙方应于每月五日前按期还款，逾期按日万分之五计收违约金。",
    ]
    table = [["角色", "姓名", "身份证号", "手机"],
             ["出借人", lender.name, lender.resident_id, lender.mobile],
             ["借款人", borrower.name, borrower.resident_id, borrower.mobile]]
    en = [
        f"Lender: {lender.email}, ID card {lender.resident_id}, mobile {lender.mobile}.",
        f"Borrower: {borrower.email}, ID card {borrower.resident_id}, mobile {borrower.mobile}.",
        "Amount: RMB 50,000. Term: twelve months. Interest: 4% per year.",
        "Repayment is due on the fifth day of every month.",
    ]
    files = {
        f"合同/2024/{borrower.name}-借款合同.docx": _docx(zh, table, "借款合同"),
        f"合同/2024/{borrower.name}-借款合同.pdf": _pdf([["借款合同", *zh[:2]], zh[2:]], cjk=True),
        "contracts/loan-agreement-en.docx": _docx(en, [["Role", "E-mail", "ID card"],
                                                       ["Lender", lender.email, lender.resident_id],
                                                       ["Borrower", borrower.email, borrower.resident_id]],
                                                  "Loan Agreement"),
        "contracts/loan-agreement-en.pdf": _pdf([["Loan Agreement", *en[:2]], en[2:]], cjk=False),
        "scans/身份证-样例.png": _id_card(borrower, *births[0]),
    }
    attachment = _xlsx([["姓名", "身份证号", "手机"], *customers], save_xlsx, share / ".attachment.xlsx")
    files["mail/2025-03.zip"] = _zip({"inbox/123.eml": _eml(lender, borrower, attachment)})
    for rel, data in files.items():
        path = share / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {"files": len(files), "bytes": sum(len(d) for d in files.values())}

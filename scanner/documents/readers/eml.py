"""E-mail .eml (standard library ``email``): address headers, subject, body, attachments nested.

Attachments are yielded as members (``123.eml!/附件.xlsx``) for the walker to read with their own
reader, so a workbook attached to a mail in a zip is scanned like any other workbook.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Iterator
from email.message import EmailMessage
from typing import BinaryIO

from scanner.documents.errors import corrupt
from scanner.documents.limits import check_member_name
from scanner.documents.parts import Member, Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.readers.html import html_text
from scanner.documents.textcodec import decode

ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Sender")


def parse(stream: BinaryIO) -> EmailMessage:
    """The message, parsed with the modern policy (decoded headers, ``get_body``)."""
    message = email.message_from_binary_file(stream, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise corrupt("eml", "no headers")
    return message


def part_text(part: EmailMessage) -> str:
    """A text part's content; HTML reduced to its visible text."""
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    text = decode(raw, part.get_content_charset())
    return html_text(text) if part.get_content_subtype() == "html" else text


def attachment_name(part: EmailMessage, number: int) -> str:
    """The attachment's file name, or ``attachment<n>`` plus a suffix from its type."""
    name = part.get_filename()
    if name:
        return check_member_name(name)
    if part.get_content_type() == "message/rfc822":
        return f"attachment{number}.eml"
    return f"attachment{number}"


def attachment_bytes(part: EmailMessage) -> bytes:
    """The attachment's decoded bytes (a forwarded message re-serialised as .eml)."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        message = inner[0] if isinstance(inner, list) else inner
        return bytes(message.as_bytes()) if isinstance(message, EmailMessage) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def is_body_text(part: EmailMessage) -> bool:
    """A text part that is a body rather than a file: no file name, not marked as attachment."""
    return (
        part.get_content_maintype() == "text"
        and not part.get_filename()
        and part.get_content_disposition() != "attachment"
    )


def leaves(message: EmailMessage) -> list[EmailMessage]:
    """Every non-multipart part in order; an attached message is one leaf (not entered)."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        return [message]
    found: list[EmailMessage] = []
    for sub in message.iter_parts():
        if isinstance(sub, EmailMessage):
            found.extend(leaves(sub))
    return found


def attachments(message: EmailMessage) -> list[EmailMessage]:
    """Every leaf that is not a text body: files, inline images, attached messages.

    Wider than ``iter_attachments`` on purpose: an image inline in multipart/related is a scanned
    document as much as an attached one, and must be read (or counted) and never copied unseen.
    """
    return [part for part in leaves(message) if part is not message and not is_body_text(part)]


def body_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """The text bodies a reader shows: of an alternative, only the preferred one (plain over
    HTML, so one body is not counted twice); of a mixed or related part, every text body."""
    if not message.is_multipart() or message.get_content_type() == "message/rfc822":
        if is_body_text(message):
            yield message
        return
    children = [c for c in message.iter_parts() if isinstance(c, EmailMessage)]
    if message.get_content_subtype() == "alternative" and children:
        by_type = {c.get_content_type(): c for c in children}
        preferred = by_type.get("text/plain") or by_type.get("text/html") or children[-1]
        yield from body_parts(preferred)
        return
    for child in children:
        yield from body_parts(child)


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part | Member]:
    """Headers (``header`` n labelled with the header name), ``subject``, the bodies (``body`` n),
    then each attachment as a member."""
    message = parse(stream)
    header_no = 0
    for header in ADDRESS_HEADERS:
        for value in message.get_all(header) or ():
            header_no += 1
            yield Part(path, "header", header_no, str(value), label=header)
    subject = message.get("Subject")
    if subject:
        yield Part(path, "subject", 1, str(subject), label="Subject")
    for number, body in enumerate(body_parts(message), start=1):
        text = part_text(body)
        if text.strip():
            yield Part(path, "body", number, text)
    for number, attachment in enumerate(attachments(message), start=1):
        name = attachment_name(attachment, number)
        ctx.budget.charge_member()
        data = attachment_bytes(attachment)
        ctx.budget.charge(len(data))
        yield Member(path.enter(name), io.BytesIO(data))


READER = Reader("eml", (".eml",), read, seekable=False)

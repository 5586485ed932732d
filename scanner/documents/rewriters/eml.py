"""Rewriting .eml: headers, text and HTML bodies, attachments (each by its own rewriter)."""

from __future__ import annotations

import email.encoders
import email.message
import email.policy
from typing import BinaryIO

from scanner.documents.limits import check_member_name
from scanner.documents.paths import DocPath
from scanner.documents.readers.eml import (
    ADDRESS_HEADERS,
    attachment_name,
    attachments,
    is_body_text,
    leaves,
    parse,
)
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.textcodec import decode

_TEXT_HEADERS = (*ADDRESS_HEADERS, "Subject", "Comments", "Keywords")


def _rewrite_headers(message: email.message.EmailMessage, ctx: RewriteContext) -> None:
    for header in _TEXT_HEADERS:
        values = message.get_all(header)
        if not values:
            continue
        del message[header]
        for value in values:
            message[header] = ctx.rewrite(str(value))


def _rewrite_text(part: email.message.EmailMessage, ctx: RewriteContext) -> None:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    new = ctx.rewrite(decode(raw, part.get_content_charset()))
    disposition = part.get("Content-Disposition")
    part.set_content(new, subtype=part.get_content_subtype(), charset="utf-8")
    if disposition and "Content-Disposition" not in part:
        part["Content-Disposition"] = disposition


def _rewrite_attachment(
    part: email.message.EmailMessage, path: DocPath, number: int, ctx: RewriteContext
) -> None:
    name = check_member_name(attachment_name(part, number))
    ctx.budget.charge_member()
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        message = inner[0] if isinstance(inner, list) else inner
        if isinstance(message, email.message.EmailMessage):
            new = ctx.member(path.enter(name), bytes(message.as_bytes()), ctx)
            part.set_payload([email.message_from_bytes(new, policy=email.policy.default)])
        return
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    ctx.budget.charge(len(data))
    new = ctx.member(path.enter(name), data, ctx)
    del part["Content-Transfer-Encoding"]
    part.set_payload(new)
    email.encoders.encode_base64(part)


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Headers first, then every leaf: attachments through their own rewriter (numbered as the
    reader numbers them), other text parts rewritten whole; the message re-serialised."""
    message = parse(src)
    _rewrite_headers(message, ctx)
    files = attachments(message)
    for number, part in enumerate(files, start=1):
        _rewrite_attachment(part, path, number, ctx)
    for part in leaves(message):
        if is_body_text(part):
            _rewrite_text(part, ctx)
    dst.write(message.as_bytes(policy=email.policy.default))


REWRITER = Rewriter("eml", (".eml",), rewrite)

"""Recognising encrypted Office files before a library trips over them.

A password-protected .docx/.pptx/.xlsx is not a zip at all: Office wraps it in an OLE compound
file holding an ``EncryptedPackage`` stream. python-docx and friends then fail with "not a zip
file", which would be reported as a corrupt document; auditors need "encrypted" instead.
"""

from __future__ import annotations

from typing import BinaryIO

from scanner.documents.errors import corrupt, encrypted

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def check_ooxml(stream: BinaryIO, what: str) -> None:
    """Refuse an Office Open XML file that is encrypted or not a zip package; rewinds ``stream``."""
    head = stream.read(8)
    if head.startswith(OLE_MAGIC):
        stream.seek(0)
        body = stream.read()
        stream.seek(0)
        if _ENCRYPTED_PACKAGE in body:
            raise encrypted()
        raise corrupt(what, "legacy binary format, not a zip package")
    stream.seek(0)
    if not head.startswith(ZIP_MAGIC):
        raise corrupt(what, "not a zip package")

"""Tiny writers for OLE2 compound files and BIFF8 .xls workbooks, for tests only.

No .xls writer is a dependency (xlwt is unmaintained) and password-protected Office files need an
OLE container holding an ``EncryptedPackage`` stream; both are built here, byte by byte, in the
few records xlrd and the sniffer look at.
"""

from __future__ import annotations

import struct

SECTOR = 512
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 36
        + struct.pack("<II", start, size)
        + b"\0" * 4
    )


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (each padded past the mini-stream cutoff)."""
    names = list(streams)
    bodies = [streams[n].ljust(4096, b"\0") for n in names]
    bodies = [b.ljust(-(-len(b) // SECTOR) * SECTOR, b"\0") for b in bodies]
    entries = 1 + len(names)
    dir_sectors = -(-entries // 4)
    fat: list[int] = [FATSECT]
    fat += [len(fat) + i + 1 if i + 1 < dir_sectors else END for i in range(dir_sectors)]
    starts: list[int] = []
    for body in bodies:
        first = len(fat)
        count = len(body) // SECTOR
        starts.append(first)
        fat += [first + i + 1 if i + 1 < count else END for i in range(count)]
    assert len(fat) <= SECTOR // 4, "test files stay within one FAT sector"
    fat_sector = b"".join(struct.pack("<I", v) for v in fat).ljust(SECTOR, b"\xff")
    directory = _dir_entry("Root Entry", 5, END, 0, 1 if names else NOSTREAM, NOSTREAM)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        directory += _dir_entry(name, 2, starts[i], len(bodies[i]), NOSTREAM, right)
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (109 * 4 - 4)
    )
    return header + fat_sector + directory + b"".join(bodies)


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _label(row: int, col: int, text: str) -> bytes:
    return _record(0x0204, struct.pack("<HHHHB", row, col, 15, len(text), 1) + text.encode("utf-16-le"))


def _number(row: int, col: int, value: float) -> bytes:
    return _record(0x0203, struct.pack("<HHHd", row, col, 15, value))


def _sheet_stream(rows: list[list[str | float]]) -> bytes:
    width = max((len(r) for r in rows), default=0)
    out = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
    out += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            out += _number(r, c, value) if isinstance(value, float) else _label(r, c, value)
    return out + _record(0x000A, b"")


def xls_bytes(sheets: dict[str, list[list[str | float]]], *, encrypted: bool = False) -> bytes:
    """A BIFF8 workbook: one LABEL (text) or NUMBER (float) record per cell."""
    head = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
    if encrypted:
        head += _record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\0" * 48)
    head += _record(0x0042, struct.pack("<H", 1200)) + _record(0x0022, struct.pack("<H", 0))
    xf = struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    head += _record(0x00E0, xf) * 16  # XF 0..15, "General": xlrd types NUMBER cells through them
    bodies = [_sheet_stream(rows) for rows in sheets.values()]
    sheet_records = [
        (
            name,
            lambda pos, n=name: _record(
                0x0085, struct.pack("<IBBBB", pos, 0, 0, len(n), 1) + n.encode("utf-16-le")
            ),
        )
        for name in sheets
    ]
    globals_size = len(head) + sum(len(make(0)) for _, make in sheet_records) + 4
    position = globals_size
    bound = b""
    for (_, make), body in zip(sheet_records, bodies):
        bound += make(position)
        position += len(body)
    return ole_file({"Workbook": head + bound + _record(0x000A, b"") + b"".join(bodies)})


def encrypted_ooxml() -> bytes:
    """What Office writes for a password-protected .docx/.xlsx/.pptx: OLE with EncryptedPackage."""
    return ole_file({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 60, "EncryptedPackage": b"\0" * 64})

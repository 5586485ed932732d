"""OCR through Debian's Tesseract (``tesseract-ocr`` + ``tesseract-ocr-chi-sim``), behind ``--ocr``.

The ``tesseract`` command is run as a subprocess rather than through a Python binding: it is the
one thing ``make`` installs, it needs no extra dependency, and a crash or hang in the engine
cannot take the scanner down with it (a timeout ends it). Images are normalised to PNG with
Pillow first, so whatever a PDF embeds (CMYK JPEG, JBIG2 decoded by pypdf, 1-bit TIFF) reaches
Tesseract in a form it reads.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from scanner.documents.errors import DocumentError

DEFAULT_LANGUAGES = "chi_sim+eng"


@dataclass(frozen=True, slots=True)
class Word:
    """One OCR word with its pixel box (left, top, width, height), for burning redaction boxes."""

    text: str
    line: tuple[int, int, int]  # (block, paragraph, line) numbers: words of one line share it
    box: tuple[int, int, int, int]


def tesseract_available(languages: str = DEFAULT_LANGUAGES) -> bool:
    """Whether the ``tesseract`` command and every language model in ``languages`` are installed."""
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    done = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    installed = set(done.stdout.split())
    return all(lang in installed for lang in languages.split("+"))


def to_png(image: bytes) -> bytes:
    """``image`` re-encoded as an RGB/greyscale PNG (Pillow's bomb check applies)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            mode = img.mode if img.mode in ("L", "RGB") else "RGB"
            out = io.BytesIO()
            img.convert(mode).save(out, format="PNG")
            return out.getvalue()
    except Image.DecompressionBombError:
        raise DocumentError("image bomb: pixel count over limit", "limit") from None
    except (OSError, ValueError, SyntaxError):
        raise DocumentError("corrupt image", "corrupt") from None


@dataclass(frozen=True, slots=True)
class Ocr:
    """Runs Tesseract on image bytes; one instance per scan."""

    languages: str = DEFAULT_LANGUAGES
    timeout_seconds: float = 120.0

    def _run(self, image: bytes, output: str) -> str:
        exe = shutil.which("tesseract")
        if exe is None:
            raise DocumentError("OCR requested but tesseract is not installed", "unsupported")
        args = [exe, "stdin", "stdout", "-l", self.languages]
        if output == "tsv":
            args.append("tsv")
        try:
            done = subprocess.run(
                args, input=to_png(image), capture_output=True, timeout=self.timeout_seconds, check=False,
                env=_engine_env(),
            )
        except subprocess.TimeoutExpired:
            raise DocumentError("OCR timed out", "corrupt") from None
        if done.returncode != 0:
            raise DocumentError("OCR failed on image", "corrupt")
        return done.stdout.decode("utf-8", errors="replace")

    def text(self, image: bytes) -> str:
        """The text Tesseract reads in ``image``.

        Tesseract separates Chinese characters with spaces; they are joined back so that names
        and addresses match the recognizers as they would in a text layer.
        """
        return _join_cjk(self._run(image, "text"))

    def words(self, image: bytes) -> list[Word]:
        """Every word Tesseract finds with its box (the ``tsv`` output, level 5 rows)."""
        rows = csv.DictReader(io.StringIO(self._run(image, "tsv")), delimiter="\t", quoting=csv.QUOTE_NONE)
        words: list[Word] = []
        for row in rows:
            text = (row.get("text") or "").strip()
            if row.get("level") != "5" or not text:
                continue
            line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
            box = (int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))
            words.append(Word(text, line, box))
        return words


def _engine_env() -> dict[str, str]:
    """Tesseract's environment: one OpenMP thread unless the user chose otherwise.

    Its OpenMP threads spin while they wait; measured on the 2-core development machine under
    load, one ID card took 4.5 s wall with the default and 2.3 s with one thread (and half the CPU).
    """
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    return env


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or "\u3000" <= ch <= "\u303f"


def _join_cjk(text: str) -> str:
    """Drop the spaces Tesseract puts between two CJK characters, keep all others."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == " " and out and _is_cjk(out[-1]) and i + 1 < len(text) and _is_cjk(text[i + 1]):
            continue
        out.append(ch)
    return "".join(out)

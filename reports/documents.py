"""The report's "documents" view: file-share documents grouped by folder, and what was not read.

Built from findings.json alone, like the rest of the page. A dataset is a document's when its
format is a document format or its id enters an archive or attachment (``!/``). Per folder (of the
top-level file) it counts documents and the matches of each entity; the "not read" list is the
auditor's blind spots in plain words: images and scanned pages without ``--ocr``, members of
unknown type, and documents that could not be read at all (encrypted, corrupt).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from scanner.documents.paths import parse_id

DOCUMENT_FORMATS = frozenset({"docx", "pptx", "xls", "pdf", "eml", "html", "image"})

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "documents": "Documents", "doc_folder": "Folder", "doc_files": "Files", "doc_datasets": "Texts and tables",
        "doc_entities": "Personal data found (matches)", "doc_none": "nothing found",
        "not_read": "Not read", "not_read_none": "Every document was read.",
        "not_read_intro": "{n} images, scanned pages or members were not read: personal data in them is NOT "
                          "counted in this report.",
        "not_read_ocr": "Scan again with --ocr to read images and scanned pages.",
        "nr_image": "image, not read (OCR off)", "nr_image_page": "page {n}: scanned page without text, not read "
                                                                  "(OCR off)",
        "nr_unsupported": "file type not supported, not read", "nr_error": "could not be read: {e}",
        "root_folder": "(top folder)",
    },
    "zh": {
        "documents": "文档", "doc_folder": "目录", "doc_files": "文件数", "doc_datasets": "文本与表格",
        "doc_entities": "发现的个人信息（命中数）", "doc_none": "未发现",
        "not_read": "未读取", "not_read_none": "所有文档均已读取。",
        "not_read_intro": "{n} 个图片、扫描页或附件未被读取：其中可能含有的个人信息未计入本报告。",
        "not_read_ocr": "使用 --ocr 重新扫描即可识别图片和扫描页。",
        "nr_image": "图片，未读取（未开启 OCR）", "nr_image_page": "第 {n} 页：无文字层的扫描页，未读取（未开启 OCR）",
        "nr_unsupported": "不支持的文件类型，未读取", "nr_error": "无法读取：{e}",
        "root_folder": "（顶层目录）",
    },
}


def is_document(ds: dict[str, Any]) -> bool:
    """Whether a findings.json dataset came from a document, an archive or an attachment."""
    return ds.get("format") in DOCUMENT_FORMATS or "!/" in str(ds.get("id", ""))


def _folder(ds_id: str, t: dict[str, str]) -> str:
    parent = PurePosixPath(parse_id(ds_id).file).parent.as_posix()
    return t["root_folder"] if parent in ("", ".") else parent


def _not_read_line(entry: dict[str, Any], t: dict[str, str]) -> str:
    kind = entry.get("kind")
    if kind == "image_page":
        return t["nr_image_page"].format(n=entry.get("index", "?"))
    return t["nr_image"] if kind == "image" else t["nr_unsupported"]


def documents_view(findings: dict[str, Any], lang: str,
                   entity_label: Callable[[str], str]) -> dict[str, Any] | None:
    """Folders (files, datasets, entity counts) and the not-read list; None without documents."""
    t = LABELS[lang]
    docs = [ds for ds in findings.get("datasets", []) if is_document(ds)]
    if not docs:
        return None
    folders: dict[str, dict[str, Any]] = {}
    not_read: list[dict[str, str]] = []
    for ds in docs:
        folder = folders.setdefault(_folder(ds["id"], t), {"files": set(), "datasets": 0, "entities": {}})
        folder["files"].add(parse_id(ds["id"]).file)
        folder["datasets"] += 1
        for column in ds.get("columns", []):
            for entity in column.get("entities", []):
                if entity.get("matches"):
                    counts = folder["entities"]
                    counts[entity["entity"]] = counts.get(entity["entity"], 0) + entity["matches"]
        for entry in ds.get("not_read") or []:
            not_read.append({"path": str(entry.get("path", ds["id"])), "why": _not_read_line(entry, t)})
        for error in ds.get("errors") or []:
            not_read.append({"path": ds["id"], "why": t["nr_error"].format(e=error)})
    rows = [{"folder": name, "files": len(f["files"]), "datasets": f["datasets"],
             "entities": [(entity_label(e), n) for e, n in sorted(f["entities"].items(), key=lambda x: -x[1])]}
            for name, f in sorted(folders.items())]
    ocr_off = any(e.get("kind") in ("image", "image_page") for ds in docs for e in ds.get("not_read") or [])
    return {"t": t, "folders": rows, "not_read": not_read, "ocr_hint": ocr_off}

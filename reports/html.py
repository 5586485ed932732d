"""report.html: the human-readable view of findings.json.

Rendered only from findings.json (so `piiwarden report` can re-render any
past scan) with autoescaping on; findings hold masked samples only, so the
page can never show a raw value.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from detectors.taxonomy import ENTITIES, SEVERITY_ORDER

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "piiwarden scan report", "summary": "Summary", "datasets": "Datasets",
        "sensitive_columns": "Sensitive columns", "violations": "Violations", "errors": "Scan errors",
        "clean": "No violations", "not_clean": "Violations found", "column": "Column", "entity": "Entity",
        "level": "Level", "category": "Category", "confidence": "Confidence", "samples": "Masked samples",
        "rule": "Rule", "severity": "Severity", "dataset": "Dataset", "count": "Count", "message": "Message",
        "remediation": "Remediation", "source": "Source", "error": "Error", "rows": "Rows",
        "rows_scanned": "Rows scanned", "format": "Format", "no_sensitive": "No sensitive columns found.",
        "parameters": "Scan parameters", "mode": "Mode", "as_of": "As of", "started": "Started",
        "finished": "Finished", "sources": "Sources", "by_level": "Sensitive columns by level",
        "other_entities": "Also found", "none": "none", "scan_id": "Scan id",
    },
    "zh": {
        "title": "piiwarden 扫描报告", "summary": "概览", "datasets": "数据集",
        "sensitive_columns": "敏感字段", "violations": "违规项", "errors": "扫描错误",
        "clean": "未发现违规", "not_clean": "发现违规", "column": "字段", "entity": "类型",
        "level": "级别", "category": "类别", "confidence": "置信度", "samples": "脱敏样例",
        "rule": "规则", "severity": "严重程度", "dataset": "数据集", "count": "数量", "message": "说明",
        "remediation": "整改建议", "source": "来源", "error": "错误", "rows": "行数",
        "rows_scanned": "扫描行数", "format": "格式", "no_sensitive": "未发现敏感字段。",
        "parameters": "扫描参数", "mode": "模式", "as_of": "基准日期", "started": "开始",
        "finished": "结束", "sources": "扫描源", "by_level": "各级别敏感字段数",
        "other_entities": "其他发现", "none": "无", "scan_id": "扫描编号",
    },
}


def _summary(findings: dict[str, Any]) -> dict[str, Any]:
    """Counts an auditor reads first."""
    by_level: Counter[int] = Counter()
    for ds in findings["datasets"]:
        for col in ds["columns"]:
            if col.get("primary_entity"):
                by_level[col["level"]] += 1
    by_severity = Counter(v["severity"] for v in findings["violations"])
    worst = max((SEVERITY_ORDER[v["severity"]] for v in findings["violations"]), default=0)
    return {
        "datasets": len(findings["datasets"]),
        "sensitive": sum(by_level.values()),
        "by_level": {lvl: by_level.get(lvl, 0) for lvl in (4, 3, 2, 1)},
        "by_severity": {s: by_severity.get(s, 0) for s in ("critical", "high", "medium", "low")},
        "violations": len(findings["violations"]),
        "errors": len(findings["errors"]),
        "worst": worst,
    }


def render_html(findings: dict[str, Any], lang: str = "zh") -> str:
    """The report page as one self-contained HTML string."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        f=findings,
        t=LABELS[lang],
        lang=lang,
        s=_summary(findings),
        entity_label=lambda e: (ENTITIES[e].label_zh if lang == "zh" else ENTITIES[e].label_en) if e in ENTITIES else e,
    )


def write_html(path: Path, findings: dict[str, Any], lang: str = "zh") -> None:
    """Render and write report.html atomically."""
    from scanner.findings import write_atomic

    write_atomic(Path(path), render_html(findings, lang))

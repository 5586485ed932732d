"""report.html: the human-readable view of findings.json.

Rendered only from findings.json (so `piiwarden report` can re-render any
past scan) with autoescaping on; findings hold masked samples only, so the
page can never show a raw value. The page is one file with inline CSS, JS and
SVG: audit machines are often air-gapped, so nothing may be fetched. No data
is embedded as JSON either: the table's sorting and filtering read the
rendered cells, which keeps one escaped copy of every string.
"""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from detectors.taxonomy import ENTITIES, SEVERITY_ORDER
from reports.charts import Bar, HeatCell, Series, bar_chart, heat_map, stacked_bars, trend_chart
from reports.documents import documents_view
from reports.safe_text import finalize
from scanner.policy.rules import CountingRule, get, rule_titles

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_COLORS = {"critical": "#b42318", "high": "#e8590c", "medium": "#b58105", "low": "#2563eb"}
LEVEL_COLORS = {4: "#b42318", 3: "#e8590c", 2: "#b58105", 1: "#2563eb", 0: "#98a2b3"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "piiwarden scan report", "summary": "Summary", "datasets": "Datasets",
        "sensitive_columns": "Sensitive columns", "violations": "Violations", "errors": "Scan errors",
        "clean": "Clean: no policy violations", "not_clean": "Not clean", "column": "Column", "entity": "Entity",
        "level": "Level", "category": "Category", "confidence": "Confidence", "samples": "Masked samples",
        "rule": "Rule", "severity": "Severity", "dataset": "Dataset", "count": "Rows / values", "message": "Finding",
        "remediation": "Remediation", "source": "Source", "error": "Error", "rows": "rows",
        "rows_scanned": "scanned", "format": "Format", "no_sensitive": "No sensitive columns found.",
        "people_affected": "people affected if this leaked: about {n}",
        "people_title": "Distinct people in the identifier columns of the rows read (estimate, for the breach notice)",
        "parameters": "Scan parameters", "mode": "Mode", "as_of": "As of", "started": "Started",
        "finished": "Finished", "sources": "Sources", "by_level": "Sensitive columns by level",
        "other_entities": "Also found", "none": "None.", "scan_id": "Scan id",
        "violations_found": "{n} violations", "violation_one": "1 violation", "worst": "worst: {sev}",
        "errors_banner": "Sources that could not be read: {n}. Results are incomplete.",
        "with_sensitive": "{n} with personal data", "filter": "Search violations…", "all_severities": "All severities",
        "all_rules": "All rules", "showing": "Showing {shown} of {total}", "no_match": "No violation matches the filter.",
        "chart_levels": "Sensitive columns by level", "chart_violations": "Violations per dataset",
        "chart_heat": "Datasets × entities (number of columns; colour = level)", "no_violations_chart": "No violations.",
        "no_entities_chart": "No personal data found.", "evidence": "Evidence", "pass_rate": "validator pass",
        "hit_ratio": "of values", "header_hint": "header hint", "matches": "matches", "format_matches": "format matches",
        "free_text": "free text",
        "pipl_sensitive": "sensitive PI", "pipl_sensitive_title": "Sensitive personal information (PIPL Art. 28): "
        "separate consent and a personal information protection impact assessment are required",
        "other_columns": "Non-sensitive columns ({n}): ", "checks": "Full-pass checks",
        "check_counted": "{rule} on {column}: {rows} rows counted",
        "check_tail": "; {missing} empty, {unparseable} unparseable",
        "check_missing": "Retention not checked: column {column} not found in this dataset",
        "check_error": "{rule} on {column} not counted: the source failed during the full pass",
        "reference": "Reference", "level_names": "4 core · 3 sensitive · 2 personal · 1 low",
        "legend_level": "Level", "expand_all": "Expand all", "collapse_all": "Collapse all",
        "sev_critical": "critical", "sev_high": "high", "sev_medium": "medium", "sev_low": "low",
        "sort_hint": "Click a column header to sort.", "mode_sample": "sample", "mode_full": "full pass",
        "incomplete": "but the scan is incomplete",
        "param_policy": "Policy file", "param_sample_rows": "Rows sampled per dataset",
        "param_fail_on": "Fail on (--fail-on)", "param_lang": "Language of the scan's report",
    },
    "zh": {
        "title": "piiwarden 扫描报告", "summary": "概览", "datasets": "数据集",
        "sensitive_columns": "敏感字段", "violations": "违规项", "errors": "扫描错误",
        "clean": "合规：未发现违规", "not_clean": "不合规", "column": "字段", "entity": "类型",
        "level": "级别", "category": "类别", "confidence": "置信度", "samples": "脱敏样例",
        "rule": "规则", "severity": "严重程度", "dataset": "数据集", "count": "行数/值数", "message": "发现",
        "remediation": "整改建议", "source": "来源", "error": "错误", "rows": "行",
        "rows_scanned": "已扫描", "format": "格式", "no_sensitive": "未发现敏感字段。",
        "people_affected": "泄露时受影响人数约 {n} 人",
        "people_title": "所读取行中标识符字段的不同人数（估计值，用于泄露通知）",
        "parameters": "扫描参数", "mode": "模式", "as_of": "基准日期", "started": "开始",
        "finished": "结束", "sources": "扫描源", "by_level": "各级别敏感字段数",
        "other_entities": "其他发现", "none": "无。", "scan_id": "扫描编号",
        "violations_found": "{n} 项违规", "violation_one": "1 项违规", "worst": "最高：{sev}",
        "errors_banner": "{n} 个来源无法读取，结果不完整。",
        "with_sensitive": "{n} 个含个人信息", "filter": "搜索违规项…", "all_severities": "全部严重程度",
        "all_rules": "全部规则", "showing": "显示 {shown} / {total}", "no_match": "没有符合筛选条件的违规项。",
        "chart_levels": "各级别敏感字段数", "chart_violations": "各数据集违规数",
        "chart_heat": "数据集 × 信息类型（字段数；颜色表示级别）", "no_violations_chart": "无违规。",
        "no_entities_chart": "未发现个人信息。", "evidence": "判定依据", "pass_rate": "校验通过率",
        "hit_ratio": "占比", "header_hint": "表头提示", "matches": "命中", "format_matches": "格式匹配",
        "free_text": "自由文本",
        "pipl_sensitive": "敏感个人信息", "pipl_sensitive_title": "敏感个人信息（《个人信息保护法》第二十八条）：需取得单独同意并进行个人信息保护影响评估",
        "other_columns": "非敏感字段（{n}）：", "checks": "全量核查",
        "check_counted": "{rule}（{column}）：已计数 {rows} 行",
        "check_tail": "；空值 {missing}，无法解析 {unparseable}",
        "check_missing": "未核查保存期限：数据集中没有字段 {column}",
        "check_error": "{rule}（{column}）未能计数：全量读取时来源出错",
        "reference": "依据", "level_names": "4 核心 · 3 敏感 · 2 一般个人信息 · 1 低",
        "legend_level": "级别", "expand_all": "全部展开", "collapse_all": "全部折叠",
        "sev_critical": "严重", "sev_high": "高", "sev_medium": "中", "sev_low": "低",
        "sort_hint": "点击表头可排序。", "mode_sample": "抽样", "mode_full": "全量",
        "incomplete": "但扫描不完整",
        "param_policy": "策略文件", "param_sample_rows": "每个数据集抽样行数",
        "param_fail_on": "失败阈值（--fail-on）", "param_lang": "扫描时的报告语言",
    },
}

# Labels of the "since last scan" section and the reuse markers (incremental scans).
LABELS["en"].update({
    "since_last": "Since last scan", "compared_with": "Compared with scan {id} of {when} (same sources).",
    "first_scan": "First recorded scan of these sources: nothing to compare with yet.",
    "new_sensitive": "New sensitive columns", "removed_sensitive": "Sensitive columns gone",
    "level_changes": "Level or entity changed", "new_violations": "New violations",
    "resolved_violations": "Resolved violations", "changed_violations": "Violations with new counts",
    "datasets_added": "New datasets", "datasets_removed": "Datasets no longer found",
    "no_changes": "No changes since the last scan.", "chart_trend": "Trend over recent scans",
    "trend_sensitive": "sensitive", "trend_violations": "violations",
    "reused": "reused", "reused_title": "Unchanged since scan {id}: results reused, not rescanned",
    "incremental_note": "Incremental scan: {reused} of {total} datasets unchanged and reused, {rescanned} rescanned.",
    "before": "before", "now": "now", "param_workers": "Workers", "param_incremental": "Incremental",
})
LABELS["zh"].update({
    "since_last": "与上次扫描相比", "compared_with": "对比扫描 {id}（{when}，相同扫描源）。",
    "first_scan": "这些扫描源的首次记录，暂无可对比的扫描。",
    "new_sensitive": "新增敏感字段", "removed_sensitive": "消失的敏感字段",
    "level_changes": "级别或类型变化", "new_violations": "新增违规", "resolved_violations": "已解决违规",
    "changed_violations": "数量变化的违规", "datasets_added": "新增数据集", "datasets_removed": "不再存在的数据集",
    "no_changes": "与上次扫描相比没有变化。", "chart_trend": "近期扫描趋势",
    "trend_sensitive": "敏感字段", "trend_violations": "违规",
    "reused": "沿用", "reused_title": "自扫描 {id} 以来未变化：沿用结果，未重新扫描",
    "incremental_note": "增量扫描：{total} 个数据集中 {reused} 个未变化沿用上次结果，{rescanned} 个重新扫描。",
    "before": "之前", "now": "现在", "param_workers": "并行数", "param_incremental": "增量扫描",
})


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
        "datasets_sensitive": sum(1 for ds in findings["datasets"] if any(c.get("primary_entity") for c in ds["columns"])),
        "sensitive": sum(by_level.values()),
        "by_level": {lvl: by_level.get(lvl, 0) for lvl in (4, 3, 2, 1)},
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "violations": len(findings["violations"]),
        "errors": len(findings["errors"]),
        "worst": worst,
        "worst_name": next((s for s, n in SEVERITY_ORDER.items() if n == worst), None),
    }


def _entity_label(lang: str, entity: str | None) -> str:
    if not entity:
        return ""
    info = ENTITIES.get(entity)
    if info is None:
        return entity
    return info.label_zh if lang == "zh" else info.label_en


def _charts(findings: dict[str, Any], summary: dict[str, Any], t: dict[str, str], lang: str) -> dict[str, Markup]:
    """The three summary charts as inline SVG."""
    levels = [Bar(f"{t['legend_level']} {lvl}", n, LEVEL_COLORS[lvl]) for lvl, n in summary["by_level"].items()]
    per_ds: dict[str, Counter[str]] = {}
    for v in findings["violations"]:
        per_ds.setdefault(v["dataset"], Counter())[v["severity"]] += 1
    ranked = sorted(per_ds.items(), key=lambda kv: (-sum(SEVERITY_ORDER[s] * 100 + n for s, n in kv[1].items()), kv[0]))
    rows = [(ds, [Bar(t[f"sev_{s}"], c[s], SEVERITY_COLORS[s]) for s in SEVERITIES]) for ds, c in ranked]
    return {
        "levels": bar_chart(levels, t["chart_levels"]),
        "violations": stacked_bars(rows, t["chart_violations"], empty=t["no_violations_chart"]),
        "heat": _heat(findings, t, lang),
    }


def _heat(findings: dict[str, Any], t: dict[str, str], lang: str) -> Markup:
    """Dataset × entity: how many columns of each dataset hold each entity."""
    counts: dict[str, Counter[str]] = {}
    for ds in findings["datasets"]:
        for col in ds["columns"]:
            for entity in {e["entity"] for e in col.get("entities") or []} | {col.get("primary_entity")} - {None}:
                counts.setdefault(ds["id"], Counter())[entity] += 1
    entities = sorted({e for c in counts.values() for e in c},
                      key=lambda e: (-(ENTITIES[e].level if e in ENTITIES else 0), e))
    rows = [ds["id"] for ds in findings["datasets"] if ds["id"] in counts]
    cells = {
        (i, j): HeatCell(counts[ds][e], LEVEL_COLORS[ENTITIES[e].level if e in ENTITIES else 0])
        for i, ds in enumerate(rows) for j, e in enumerate(entities) if counts[ds].get(e)
    }
    labels = [_entity_label(lang, e) for e in entities]
    return heat_map(rows, labels, cells, t["chart_heat"], empty=t["no_entities_chart"])


def _check_line(check: dict[str, Any], t: dict[str, str], rules: dict[str, str], lang: str) -> str:
    """One full-pass check as a sentence: the rule class words it (a count it lacks shows as "?").

    A check of a rule no longer registered (findings.json from a run with a
    plugin this one lacks) still gets a plain line rather than a traceback.
    """
    status = check.get("status", "ok")
    if status == "column_missing":
        return t["check_missing"].format(column=check["column"])
    name = rules.get(check["rule"], check["rule"])
    if status != "ok":
        return t["check_error"].format(rule=name, column=check["column"])
    rule = get(check["rule"])
    if isinstance(rule, CountingRule):
        line = rule.check_sentence(lang, check)
    else:
        line = t["check_counted"].format(rule=name, column=check["column"], rows=check.get("rows", "?"))
    if check.get("missing") or check.get("unparseable"):
        line += t["check_tail"].format(missing=check.get("missing", 0), unparseable=check.get("unparseable", 0))
    return line


def _datasets(findings: dict[str, Any], t: dict[str, str], rules: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """Per-dataset view: sensitive columns first by level, plain columns listed by name."""
    viol: dict[str, Counter[str]] = {}
    for v in findings["violations"]:
        viol.setdefault(v["dataset"], Counter())[v["severity"]] += 1
    out = []
    for i, ds in enumerate(findings["datasets"], 1):
        sensitive = sorted((c for c in ds["columns"] if c.get("primary_entity")), key=lambda c: -c["level"])
        counts = viol.get(ds["id"], Counter())
        out.append({
            "ds": ds,
            "anchor": f"ds-{i}",
            "sensitive": sensitive,
            "plain": [c["name"] for c in ds["columns"] if not c.get("primary_entity")],
            "max_level": max((c["level"] for c in sensitive), default=0),
            "violations": sum(counts.values()),
            "worst": next((s for s in SEVERITIES if counts.get(s)), None),
            "checks": [_check_line(c, t, rules, lang) for c in ds.get("policy_checks") or []],
            "check_problem": any(c.get("status", "ok") != "ok" for c in ds.get("policy_checks") or []),
        })
    return out


def _reference(lang: str, reference: str) -> str:
    """The legal reference in the report's language ("PIPL Art. 6 / 《个人信息保护法》第六条")."""
    en, sep, zh = reference.partition(" / ")
    if not sep:
        return reference
    return zh if lang == "zh" else en


def _violations(findings: dict[str, Any], anchors: dict[str, str]) -> list[dict[str, Any]]:
    """Violations, worst first, with the link to their dataset section."""
    ordered = sorted(findings["violations"],
                     key=lambda v: (-SEVERITY_ORDER[v["severity"]], v["dataset"], v.get("column") or ""))
    return [{"v": v, "rank": SEVERITY_ORDER[v["severity"]], "anchor": anchors.get(v["dataset"], "")} for v in ordered]


def _history_view(findings: dict[str, Any], t: dict[str, str]) -> dict[str, Any] | None:
    """The "since last scan" section, from findings.json's ``history`` key alone (None without one)."""
    hist = findings.get("history")
    if not isinstance(hist, dict):
        return None
    trend = hist.get("trend") or []
    labels = [(p.get("finished_at") or "")[5:16].replace("T", " ") for p in trend]
    series = [Series(t["trend_sensitive"], [p.get("sensitive", 0) for p in trend], LEVEL_COLORS[3]),
              Series(t["trend_violations"], [p.get("violations", 0) for p in trend], SEVERITY_COLORS["critical"])]
    diff = hist.get("since_last")
    keys = ("datasets_added", "datasets_removed", "new_sensitive_columns", "removed_sensitive_columns",
            "level_changes", "new_violations", "resolved_violations", "changed_violations")
    return {
        "previous": hist.get("previous_scan"),
        "diff": diff,
        "empty": diff is not None and not any(diff.get(k) for k in keys),
        # one point is not a trend: the chart appears from the second scan of these sources on
        "chart": trend_chart(labels, series, t["chart_trend"]) if len(trend) >= 2 else None,
    }


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Jinja's on-disk cache of compiled templates, whose failure to write only costs the time it saves."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept like .pyc files, in Jinja's per-user folder (mode 0700, ownership checked).

    Compiling the report template costs about 0.35 s of CPU, a fifth of a
    small scan; the cache is keyed by the template's checksum, so an edited
    template is compiled again. No usable folder: compile every time.
    """
    try:
        return _QuietBytecodeCache()
    except (RuntimeError, OSError):
        return None


@functools.cache
def _environment() -> Environment:
    """One Jinja environment per process: templates are compiled (or read from the cache) once."""
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        bytecode_cache=_bytecode_cache(),
    )


def render_html(findings: dict[str, Any], lang: str = "zh") -> str:
    """The report page as one self-contained HTML string."""
    template = _environment().get_template("report.html.j2")
    t = LABELS[lang]
    rules = rule_titles(lang)
    summary = _summary(findings)
    datasets = _datasets(findings, t, rules, lang)
    anchors = {d["ds"]["id"]: d["anchor"] for d in datasets}
    return template.render(
        f=findings,
        t=t,
        lang=lang,
        s=summary,
        rules=rules,
        charts=_charts(findings, summary, t, lang),
        datasets=datasets,
        violations=_violations(findings, anchors),
        severities=SEVERITIES,
        sev_colors=SEVERITY_COLORS,
        level_colors=LEVEL_COLORS,
        entity_label=lambda e: _entity_label(lang, e),
        n_violations=lambda n: t["violation_one"] if n == 1 else t["violations_found"].format(n=n),
        reference=lambda r: _reference(lang, r),
        history=_history_view(findings, t),
        documents=documents_view(findings, lang, lambda e: _entity_label(lang, e)),
    )


def write_html(path: Path, findings: dict[str, Any], lang: str = "zh") -> None:
    """Render and write report.html atomically."""
    from scanner.findings import write_atomic

    write_atomic(Path(path), render_html(findings, lang))

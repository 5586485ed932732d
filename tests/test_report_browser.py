"""report.html in a real headless Chromium: no console errors, no network, filtering and sorting work.

Uses Debian's chromium (/usr/bin/chromium, installed by `make browser`, which
`make test` runs first) driven by Playwright's Python package; Playwright's
own browser download is never used. Outside CI a missing browser skips these
tests; in CI (CI=true) it fails them, so the check cannot silently vanish.
Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app
from tests.conftest import ROOT, in_ci

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
runner = CliRunner()


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"browser test cannot run in CI: {reason} (make browser installs Debian's chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright."""
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """en and zh reports of a scan with several rules firing, and a clean one."""
    rng = random.Random(21)
    root = tmp_path_factory.mktemp("browser")
    data = root / "data"
    (data / "crm").mkdir(parents=True)
    lines = ["会员号,身份证号,手机号,注册日期"]
    for i in range(150):
        birth = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        body = f"440304{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        lines.append(f"M{i:04d},{body + resident_id_check_char(body)},139{rng.randint(0, 10**8 - 1):08d},"
                     f"{2015 + i % 11}/3/{1 + i % 28}")
    (data / "crm" / "members.csv").write_text("\n".join(lines), encoding="utf-8")
    (data / "log.jsonl").write_text("\n".join(f'{{"ip": "10.1.{i}.9", "mail": "u{i}@example.com"}}'
                                              for i in range(40)), encoding="utf-8")
    policy = root / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'crm/*.csv'\n    purpose: marketing\n"
                      "    allowed_entities: [CN_MOBILE_PHONE]\n    retention: {column: 注册日期, max_age_days: 1000}\n",
                      encoding="utf-8")
    out = root / "out"
    args = ["scan", str(data), "--policy", str(policy), "--as-of", "2026-03-31", "-o", str(out), "--lang", "en"]
    assert runner.invoke(app, args).exit_code == 0
    zh = out / "report-zh.html"
    assert runner.invoke(app, ["report", str(out / "findings.json"), "-o", str(zh), "--lang", "zh"]).exit_code == 0
    clean_src = root / "sku.csv"
    clean_src.write_text("sku,qty\n" + "\n".join(f"A{i},{i}" for i in range(20)), encoding="utf-8")
    assert runner.invoke(app, ["scan", str(clean_src), "-o", str(root / "clean"), "--lang", "en"]).exit_code == 0
    return {"en": out / "report.html", "zh": zh, "clean": root / "clean" / "report.html"}


class _Page:
    """A page that records console errors, page errors and any request leaving file://."""

    def __init__(self, browser, path: Path) -> None:
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.problems.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: r.url.startswith(("file:", "data:", "about:"))
                     or self.problems.append(f"network: {r.url}"))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def visible_rules(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "#violations-table tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.rule)")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_without_errors_and_screenshot(browser, reports, lang):
    page = _Page(browser, reports[lang])
    assert page.page.get_attribute("#status", "data-clean") == "false"
    assert page.page.locator("svg.chart").count() == 3
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{lang}.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.problems == []
    page.page.close()


def test_filtering_and_sorting_the_violations_table(browser, reports):
    page = _Page(browser, reports["en"])
    p = page.page
    every = page.visible_rules()
    assert len(every) >= 4 and {"retention", "minimization", "plaintext_sensitive"} <= set(every)
    p.select_option("#v-rule", "retention")
    assert page.visible_rules() == ["retention"]
    assert p.inner_text("#v-count") == f"Showing 1 of {len(every)}"
    p.select_option("#v-rule", "")
    p.fill("#v-filter", "log.jsonl")
    assert page.visible_rules() == ["undeclared_dataset"]
    p.fill("#v-filter", "no such text anywhere")
    assert page.visible_rules() == [] and p.is_visible("#v-empty")
    p.fill("#v-filter", "")
    p.select_option("#v-severity", "critical")
    critical = page.visible_rules()
    assert critical and len(critical) < len(every)
    p.select_option("#v-severity", "")
    assert len(page.visible_rules()) == len(every)
    count_header = p.locator("#violations-table thead th").nth(4)
    count_header.locator("button").click()
    counts = p.eval_on_selector_all("#violations-table tbody tr", "rows => rows.map(r => +r.cells[4].dataset.sort)")
    assert counts == sorted(counts, reverse=True) and count_header.get_attribute("aria-sort") == "descending"
    count_header.locator("button").click()
    counts = p.eval_on_selector_all("#violations-table tbody tr", "rows => rows.map(r => +r.cells[4].dataset.sort)")
    assert counts == sorted(counts)
    assert page.problems == []
    p.close()


def test_clean_report_is_green_at_a_glance(browser, reports):
    page = _Page(browser, reports["clean"])
    p = page.page
    assert p.get_attribute("#status", "data-clean") == "true"
    color = p.eval_on_selector("#status", "el => getComputedStyle(el).backgroundColor")
    assert color == "rgb(6, 118, 71)"
    assert "Clean" in p.inner_text("#status h1")
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / "report-clean.png"))
    assert page.problems == []
    p.close()


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _unavailable("no chromium")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        _unavailable("no chromium")

"""--config: validation with file:line errors (exit 2), env references, flags over config values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.config import ConfigError, ScanFlags, load_config, merge_settings

runner = CliRunner()


def _cfg(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "piiwarden.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _merge(cfg, **cli):
    return merge_settings(cfg, ScanFlags(**cli), default_sample_rows=10_000)


def test_full_config_loads_with_paths_relative_to_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "not-printed")
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "lake"))
    path = _cfg(tmp_path, """\
version: 1
sources:
  - data
  - ${DATA_ROOT}/orders
  - postgresql+psycopg://scanner:${PGPASSWORD}@db:5432/crm
policy: policy.yaml
rules: rules.yaml
outdir: out
sample_rows: 500
workers: 4
include: ["crm.*"]
exclude: ["*.tmp_*"]
views: true
incremental: true
history: state/history.db
audit: {log: state/audit.log, retention_days: 365}
lang: en
fail_on: high
as_of: 2026-03-31
""")
    cfg = load_config(path)
    assert cfg.sources[0] == str(tmp_path / "data")
    assert cfg.sources[1] == str(tmp_path / "lake" / "orders")
    assert cfg.sources[2] == "postgresql+psycopg://scanner:${PGPASSWORD}@db:5432/crm"  # expanded only at use
    assert cfg.policy == str(tmp_path / "policy.yaml") and cfg.rules == str(tmp_path / "rules.yaml")
    st = _merge(cfg)
    assert st.outdir == tmp_path / "out" and st.sample_rows == 500 and st.workers == 4
    assert st.history == tmp_path / "state" / "history.db"
    assert st.audit_log == tmp_path / "state" / "audit.log" and st.audit_retention_days == 365
    assert (st.lang, st.fail_on, st.as_of, st.views, st.incremental) == ("en", "high", "2026-03-31", True, True)
    assert "not-printed" not in repr(cfg) + repr(st)


def test_flags_override_config(tmp_path):
    cfg = load_config(_cfg(tmp_path, "sources: [a]\noutdir: out\nfull: true\nlang: en\nhistory: h.db\nfail_on: low\n"))
    st = _merge(cfg, sources=["b"], outdir=Path("elsewhere"), sample_rows=50, lang="zh", fail_on="critical")
    assert st.sources == ["b"] and st.outdir == Path("elsewhere")
    assert st.full is False and st.sample_rows == 50  # an explicit --sample-rows wins over full: true
    assert (st.lang, st.fail_on) == ("zh", "critical")
    assert _merge(cfg, no_history=True).history is None
    assert _merge(load_config(_cfg(tmp_path, "history: false\n"))).history is None


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("sources: [a]\npolicy: p.yaml\nsample_rowz: 10\n", 3, "sample_rowz: unknown key"),
    ("sources: [a]\nsample_rows: many\n", 2, "sample_rows: Input should be a valid integer"),
    ("sources:\n  - a\naudit:\n  log: x.log\n  retention_days: 0\n", 5, "audit.retention_days"),
    ("lang: fr\n", 1, "lang: Input should be 'zh' or 'en'"),
    ("sources: [a]\n\nfail_on: severe\n", 3, "fail_on"),
    ("sources: [a\n", 2, "not valid YAML"),
    ("sources:\n  - data\n  - postgresql://u:${PIIWARDEN_TEST_UNSET_VAR}@h/db\n", 3,
     "environment variable PIIWARDEN_TEST_UNSET_VAR is not set"),
])
def test_config_errors_name_the_line(tmp_path, text, line, needle):
    path = _cfg(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert message.startswith(f"{path}:{line}:")
    assert needle in message


def test_cli_config_error_exits_2_and_writes_nothing(tmp_path):
    path = _cfg(tmp_path, f"sources: [{tmp_path}]\noutdir: out\nworkerz: 2\n")
    result = runner.invoke(app, ["scan", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3: workerz: unknown key" in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / ".piiwarden").exists()


def test_cli_runs_from_config_alone_and_flags_override(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text("name,email\n" + "\n".join(f"u{i},user{i}@example.com" for i in range(30)),
                                     encoding="utf-8")
    path = _cfg(tmp_path, "sources: [data]\noutdir: out\nsample_rows: 20\nlang: en\nworkers: 2\nhistory: false\n")
    result = runner.invoke(app, ["scan", "--config", str(path), "--sample-rows", "25", "--quiet"])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    params = findings["scan"]["parameters"]
    assert params["sample_rows"] == 25 and params["lang"] == "en" and params["workers"] == 2
    assert "history" not in findings and not (tmp_path / ".piiwarden" / "history.db").exists()
    assert (tmp_path / ".piiwarden" / "audit.log").is_file()  # the audit trail does not depend on history


def test_no_source_anywhere_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["scan", "--config", str(_cfg(tmp_path, "outdir: out\n"))])
    assert result.exit_code == 2 and "no SOURCE given" in result.output


def test_passwords_from_config_never_reach_outputs(tmp_path, monkeypatch):
    """A typed password (allowed in a config file) and a ${VAR} one: masked in every output and log."""
    monkeypatch.setenv("PIIWARDEN_TEST_PW", "env-secret-42")
    path = _cfg(tmp_path, "sources:\n"
                          "  - postgresql+psycopg://scanner:typed-secret-17@127.0.0.1:9/crm\n"
                          "  - postgresql+psycopg://scanner:${PIIWARDEN_TEST_PW}@127.0.0.1:9/crm2\n"
                          "outdir: out\n")
    result = runner.invoke(app, ["scan", "--config", str(path), "--log-format", "json"])
    assert result.exit_code == 3, result.output  # both unreachable: reported, not fatal
    state = tmp_path / ".piiwarden"
    blobs = [result.output, (tmp_path / "out" / "findings.json").read_text(encoding="utf-8"),
             (tmp_path / "out" / "report.html").read_text(encoding="utf-8"),
             (state / "audit.log").read_text(encoding="utf-8"), (state / "history.db").read_bytes().decode("latin-1")]
    for blob in blobs:
        assert "typed-secret-17" not in blob and "env-secret-42" not in blob
    assert "scanner:***@127.0.0.1:9/crm" in blobs[1]

"""``--config piiwarden.yaml``: everything a scheduled scan needs, in one reviewed file.

A nightly job should not depend on a long, hand-edited command line in a
crontab, so the config file carries the sources, policy, output and history
locations and the scan options. A typo must stop the job loudly (exit 2)
rather than silently scan the wrong thing, so unknown keys and wrong types are
errors naming the file, the line and the key, like the policy file.

Secrets: a database URL may reference ``${PGPASSWORD}``; such URLs are kept
unexpanded here and expanded only when the connection is opened
(``scanner.connectors.sqldb.open_database_url``), so the secret is never held
in the config object, printed or recorded. Only the *presence* of referenced
variables is checked at load time, so a missing one is a clear exit 2 rather
than a failed login at 3 a.m. Paths (not secrets) may use ``${VAR}`` too and
are expanded at load; relative paths are relative to the config file, which
is what a cron job run from ``/`` needs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from scanner.defaults import DEFAULT_MAX_CELL_BYTES, DEFAULT_SAMPLE_ROWS
from scanner.yamlfile import load_model

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

DEFAULT_AUDIT_RETENTION_DAYS = 180
DEFAULT_DESTRUCTION_RETENTION_DAYS = 3 * 365
AUDIT_FILENAME = "audit.log"
ENV_LOG = "PIIWARDEN_AUDIT_LOG"


class ConfigError(Exception):
    """A config file that cannot be used; the message names file, line and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _env_present(source: str) -> str:
    """Referenced variables must exist now (their values are read only when the URL is opened)."""
    missing = [a or b for a, b in ENV_REF.findall(source) if (a or b) not in os.environ]
    if missing:
        raise ValueError(f"environment variable {missing[0]} is not set")
    return source


Source = Annotated[str, AfterValidator(_env_present)]


class AuditConfig(_Strict):
    """Where the audit trail goes and how long its entries must be kept."""

    log: str | None = None
    retention_days: int = Field(default=DEFAULT_AUDIT_RETENTION_DAYS, ge=DEFAULT_AUDIT_RETENTION_DAYS)  # upwards only
    # anonymize / delete records: the company keeps destruction records three years
    destruction_retention_days: int = Field(default=DEFAULT_DESTRUCTION_RETENTION_DAYS,
                                            ge=DEFAULT_DESTRUCTION_RETENTION_DAYS)


class ScanConfig(_Strict):
    """One config file; every key is optional and a command-line flag overrides it."""

    version: int = 1
    sources: list[Source] = Field(default_factory=list)
    policy: str | None = None
    rules: str | None = None
    entities: str | None = None  # custom entities YAML (CONTRACT.md "Custom entities")
    outdir: str | None = None
    sample_rows: int | None = Field(default=None, ge=1)
    full: bool | None = None
    workers: int | None = Field(default=None, ge=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    views: bool | None = None
    incremental: bool | None = None
    history: str | bool | None = None  # db path; false disables, true keeps the default place
    audit: AuditConfig = Field(default_factory=AuditConfig)
    lang: Literal["zh", "en"] | None = None
    fail_on: Literal["low", "medium", "high", "critical"] | None = None
    as_of: dt.date | None = None
    lock_timeout: float | None = Field(default=None, ge=0)
    # File readers (CLI --on-bad-rows, --max-cell-bytes, --follow-symlinks).
    on_bad_rows: Literal["skip", "fail"] | None = None
    max_cell_bytes: int | None = Field(default=None, ge=1)
    follow_symlinks: bool | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only version 1 is supported")
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, value: Any) -> Any:
        if value is None or isinstance(value, (str, bool)):
            return value
        raise ValueError("must be a path to the history database, or false to disable history")



def _is_url(value: str) -> bool:
    return "://" in value


def _resolve_path(value: str | None, base: Path) -> str | None:
    """``${VAR}`` / ``~`` expanded, relative to the config file's directory."""
    if value is None:
        return None
    expanded = Path(os.path.expanduser(os.path.expandvars(value)))
    return str(expanded if expanded.is_absolute() else base / expanded)


def _resolve_paths(cfg: ScanConfig, base: Path) -> ScanConfig:
    """Make file paths independent of the directory the job runs from; URLs stay as written."""
    cfg.sources = [s if _is_url(s) else _resolve_path(s, base) or s for s in cfg.sources]
    cfg.policy = _resolve_path(cfg.policy, base)
    cfg.rules = _resolve_path(cfg.rules, base)
    cfg.entities = _resolve_path(cfg.entities, base)
    cfg.outdir = _resolve_path(cfg.outdir, base)
    if isinstance(cfg.history, str):
        cfg.history = _resolve_path(cfg.history, base)
    cfg.audit.log = _resolve_path(cfg.audit.log, base)
    return cfg


def load_config(path: str | Path) -> ScanConfig:
    """Read and validate a config file; raise ConfigError naming file:line and key."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    _root, cfg = load_model(path, "config file", ConfigError, ScanConfig,
                            ":1: a config file must be a YAML mapping (sources, policy, outdir, ...)", empty={})
    return _resolve_paths(cfg, path.resolve().parent)


@dataclass
class Settings:
    """The scan's effective settings: command-line flags over the config file over defaults."""

    sources: list[str]
    outdir: Path
    policy: Path | None
    rules: Path | None
    sample_rows: int
    full: bool
    workers: int | None
    include: list[str]
    exclude: list[str]
    views: bool
    incremental: bool
    history: Path | None  # None: history disabled
    audit_log: Path
    audit_retention_days: int
    destruction_retention_days: int
    lang: str
    fail_on: str | None
    as_of: str | None
    lock_timeout: float
    config_sources: bool = False  # sources came from the config file (a typed password is allowed there)
    on_bad_rows: str = "skip"
    max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES
    follow_symlinks: bool = False
    entities: Path | None = None  # custom entities YAML, registered for the run


def _pick(cli: Any, cfg_value: Any, default: Any) -> Any:
    if cli not in (None, []):
        return cli
    return cfg_value if cfg_value not in (None, []) else default


def _history_path(cfg: ScanConfig, cli_path: Path | None, no_history: bool, outdir: Path) -> Path | None:
    from scanner.history import default_history_path

    if no_history:
        return None
    if cli_path is not None:
        return cli_path
    if cfg.history is False:
        return None
    return Path(cfg.history) if isinstance(cfg.history, str) else default_history_path(outdir)


def default_audit_path(outdir: Path | None = None, history_db: Path | None = None) -> Path:
    """``$PIIWARDEN_AUDIT_LOG``, else beside the history db, else ``<outdir parent>/.piiwarden/audit.log``.

    It lives here, not in audit.py, because it is the default of a setting:
    the audit log's writer depends on the settings, never the reverse.
    """
    from scanner.history import HISTORY_DIRNAME  # history's sqlite layer is not needed to parse a config

    if os.environ.get(ENV_LOG):
        return Path(os.environ[ENV_LOG])
    if history_db is not None:
        return Path(history_db).parent / AUDIT_FILENAME
    base = Path(outdir).resolve().parent if outdir is not None else Path.cwd()
    return base / HISTORY_DIRNAME / AUDIT_FILENAME


@dataclass(frozen=True)
class ScanFlags:
    """What the command line said: None (or False, or empty) where a flag was not given."""

    sources: list[str] | None = None
    outdir: Path | None = None
    policy: Path | None = None
    rules: Path | None = None
    sample_rows: int | None = None
    full: bool = False
    workers: int | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None
    views: bool = False
    incremental: bool = False
    history: Path | None = None
    no_history: bool = False
    audit_log: Path | None = None
    lang: str | None = None
    fail_on: str | None = None
    as_of: str | None = None
    lock_timeout: float | None = None
    on_bad_rows: str | None = None
    max_cell_bytes: int | None = None
    follow_symlinks: bool = False
    entities: Path | None = None


def merge_settings(cfg: ScanConfig | None, flags: ScanFlags | None = None,
                   default_sample_rows: int = DEFAULT_SAMPLE_ROWS) -> Settings:
    """Effective settings. Booleans given on the command line can only switch a feature on,
    except that an explicit ``--sample-rows`` turns the config's ``full: true`` off."""
    from scanner.history import default_history_path

    cfg, f = cfg or ScanConfig(), flags or ScanFlags()
    out = Path(_pick(f.outdir, cfg.outdir, "piiwarden-out"))
    hist = _history_path(cfg, f.history, f.no_history, out)
    audit_default = default_audit_path(out, hist or default_history_path(out))
    return Settings(
        sources=list(f.sources or cfg.sources),
        outdir=out,
        policy=Path(p) if (p := _pick(f.policy, cfg.policy, None)) else None,
        rules=Path(r) if (r := _pick(f.rules, cfg.rules, None)) else None,
        entities=Path(e) if (e := _pick(f.entities, cfg.entities, None)) else None,
        sample_rows=_pick(f.sample_rows, cfg.sample_rows, default_sample_rows),
        full=f.full or (bool(cfg.full) and f.sample_rows is None),
        workers=_pick(f.workers, cfg.workers, None),
        include=list(_pick(f.include, cfg.include, [])),
        exclude=list(_pick(f.exclude, cfg.exclude, [])),
        views=f.views or bool(cfg.views),
        incremental=f.incremental or bool(cfg.incremental),
        history=hist,
        audit_log=Path(_pick(f.audit_log, cfg.audit.log, audit_default)),
        audit_retention_days=cfg.audit.retention_days,
        destruction_retention_days=cfg.audit.destruction_retention_days,
        lang=_pick(f.lang, cfg.lang, "zh"),
        fail_on=_pick(f.fail_on, cfg.fail_on, None),
        as_of=_pick(f.as_of, cfg.as_of.isoformat() if cfg.as_of else None, None),
        lock_timeout=float(_pick(f.lock_timeout, cfg.lock_timeout, 300.0)),
        config_sources=not f.sources and bool(cfg.sources),
        on_bad_rows=_pick(f.on_bad_rows, cfg.on_bad_rows, "skip"),
        max_cell_bytes=_pick(f.max_cell_bytes, cfg.max_cell_bytes, DEFAULT_MAX_CELL_BYTES),
        follow_symlinks=f.follow_symlinks or bool(cfg.follow_symlinks),
    )

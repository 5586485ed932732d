"""Turn SOURCE arguments (files, directories, globs, database URLs) into datasets.

Dataset ids are what policies match and what reports show, so they must be
stable across machines: a file under a directory SOURCE is named by its path
relative to that directory (POSIX separators), a file SOURCE by its file name,
a glob match relative to the glob's literal base directory. A source that
cannot be opened becomes an ``(source, error)`` pair so that the rest of the
scan goes on (exit code 3 in the CLI).
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from scanner import formats
from scanner.connectors.base import Dataset, SourceError, describe_error
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions
from scanner.connectors.urls import mask_source

log = logging.getLogger(__name__)

Errors = list[tuple[str, str]]
Notes = list[tuple[str, str]]  # (path, why it was skipped): not errors, the scan is complete without them


def is_url(source: str) -> bool:
    """A database URL in SQLAlchemy form (``sqlite:///x.db``, ``postgresql+psycopg://...``)."""
    return "://" in source


def resolve_sources(sources: list[str], views: bool = False, options: ReadOptions | None = None,
                    notes: Notes | None = None) -> tuple[list[Dataset], Errors]:
    """Datasets of every SOURCE in argument order, and ``(source, error)`` for those that failed.

    For a file found by crawling or globbing, the error names that file's path
    (the SOURCE argument alone would not say which file failed). A URL's
    password is masked wherever the URL is recorded.

    Only regular files are opened: a FIFO, socket or device would block or
    never end, so it is skipped with a note (``notes``), as is a symlink
    unless ``options.follow_symlinks`` (then followed, each real directory
    crawled once, so a loop ends). A folder that cannot be listed is an error.
    """
    options = options or DEFAULT_READ_OPTIONS
    notes = notes if notes is not None else []
    datasets: list[Dataset] = []
    errors: Errors = []
    for source in sources:
        if is_url(source):
            from scanner.connectors.sqldb import open_database_url  # SQLAlchemy: only for database sources

            try:
                datasets.extend(open_database_url(source, source, views=views))
            except SourceError as exc:
                errors.append((mask_source(source), str(exc)))
            except Exception as exc:  # noqa: BLE001 - one unreachable database must not stop the scan
                errors.append((mask_source(source), describe_error(exc)))
            continue
        path = Path(source)
        if path.is_dir():
            files = ((f, _relative_id(f, path)) for f in _crawl(path, options, notes, errors))
            _open_all(files, source, datasets, errors, explicit=False, options=options)
        elif path.is_file():
            _open_all([(path, path.name)], source, datasets, errors, explicit=True, options=options)
        elif os.path.lexists(path):
            notes.append((source, _skip_reason(path)))
        elif glob.has_magic(source):
            matches = _glob_files(source, options, notes, errors)
            if not matches:
                errors.append((source, "no files match"))
            _open_all(matches, source, datasets, errors, explicit=False, options=options)
        else:
            errors.append((source, "no such file or directory"))
    return datasets, errors


def missing_sources(sources: list[str]) -> list[str]:
    """SOURCE arguments that name nothing: not a URL, not an existing path, no glob match."""
    missing = []
    for source in sources:
        if is_url(source) or os.path.exists(source):
            continue
        # A matched directory counts: resolve_sources crawls it.
        if glob.has_magic(source) and glob.glob(source, recursive=True):
            continue
        missing.append(source)
    return missing


def _open_all(
    files: list[tuple[Path, str]] | Iterator[tuple[Path, str]],
    source: str,
    datasets: list[Dataset],
    errors: Errors,
    explicit: bool,
    options: ReadOptions = DEFAULT_READ_OPTIONS,
) -> None:
    for path, ds_id in files:
        fmt = formats.by_suffix(path.suffix)
        if fmt is None:
            if explicit:
                errors.append((source, "unsupported file type"))
            else:
                log.debug("skipping %s: unsupported file type", path)
            continue
        try:
            datasets.extend(fmt.open(path, ds_id, source, options))
        except SourceError as exc:
            errors.append((str(path), str(exc)))
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the scan
            errors.append((str(path), describe_error(exc)))


def _crawl(root: Path, options: ReadOptions = DEFAULT_READ_OPTIONS, notes: Notes | None = None,
           errors: Errors | None = None) -> Iterator[Path]:
    """Regular files under ``root`` in sorted order, skipping hidden files and directories.

    One rule for symlinks, to files and to folders alike: skipped with a note
    unless ``follow_symlinks``; followed, a folder already crawled (a loop, or
    two links to one place) is not crawled again. A folder that cannot be
    listed is an error naming it (``os.walk`` would skip it silently).
    """
    notes = notes if notes is not None else []
    errors = errors if errors is not None else []
    follow = options.follow_symlinks
    seen: set[tuple[int, int]] = set()

    def unreadable(exc: OSError) -> None:
        errors.append((exc.filename or str(root), f"cannot read folder ({exc.strerror or type(exc).__name__})"))

    for current, dirs, files in os.walk(root, onerror=unreadable, followlinks=follow):
        try:
            info = os.stat(current)
        except OSError as exc:
            unreadable(exc)
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            notes.append((current, "folder already crawled (symlink loop or second link)"))
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            if not follow and os.path.islink(os.path.join(current, name)):
                notes.append((os.path.join(current, name), "symlink skipped (--follow-symlinks is off)"))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(current, name)
            if _regular(path, follow, notes):
                yield path


def _regular(path: Path, follow: bool, notes: Notes) -> bool:
    """Whether to open ``path``: a regular file, reached through a symlink only when following them."""
    if path.is_symlink() and not follow:
        notes.append((str(path), "symlink skipped (--follow-symlinks is off)"))
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        notes.append((str(path), f"skipped: {exc.strerror or type(exc).__name__}"))
        return False
    if not stat.S_ISREG(mode):
        notes.append((str(path), _skip_reason(path)))
        return False
    return True


def _skip_reason(path: Path) -> str:
    """Why a path that is not a regular file is not read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"skipped: {exc.strerror or type(exc).__name__}"
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"))
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"skipped: {kind}, not a regular file"


def _relative_id(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _glob_files(pattern: str, options: ReadOptions = DEFAULT_READ_OPTIONS, notes: Notes | None = None,
                errors: Errors | None = None) -> list[tuple[Path, str]]:
    """Files matched by a glob (directories matched are crawled), ids relative to its literal base."""
    notes = notes if notes is not None else []
    base = _glob_base(pattern)
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for match in sorted(glob.glob(pattern, recursive=True)):
        path = Path(match)
        if not options.follow_symlinks and (link := _linked_parent(path, base)) is not None:
            # `**` descends into symlinked folders; the rule says they are not followed.
            if link not in seen:
                seen.add(link)
                notes.append((str(link), "symlink skipped (--follow-symlinks is off)"))
            continue
        if path.is_dir() and not (path.is_symlink() and not options.follow_symlinks):
            candidates: Iterator[Path] | list[Path] = _crawl(path, options, notes, errors)
        else:
            candidates = [path] if _regular(path, options.follow_symlinks, notes) else []
        for file in candidates:
            if file not in seen and not _is_hidden(file, base):
                seen.add(file)
                found.append((file, _relative_id(file, base)))
    return found


def _linked_parent(path: Path, base: Path) -> Path | None:
    """The first folder between ``base`` and ``path`` that is a symlink, if any."""
    try:
        parts = path.relative_to(base).parts[:-1]
    except ValueError:
        return None
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def _glob_base(pattern: str) -> Path:
    """The leading directories of a glob that hold no wildcard (``data/**/*.csv`` → ``data``)."""
    parts = Path(pattern).parts
    literal: list[str] = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        literal.append(part)
    return Path(*literal) if literal else Path(".")


def _is_hidden(path: Path, base: Path) -> bool:
    return any(
        part.startswith(".") and part not in (".", "..") for part in Path(os.path.relpath(path, base)).parts
    )


def select_datasets(datasets: list[Dataset], include: list[str], exclude: list[str]) -> list[Dataset]:
    """Datasets whose id matches an --include glob (all when none) and no --exclude glob.

    Ids are what the report shows: ``crm.customers`` for a database table,
    ``sub/file.csv`` for a crawled file, so ``--include 'crm.*' --exclude '*.tmp_*'``
    reads naturally for both.
    """
    def matches(ds_id: str, patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(ds_id, p) for p in patterns)

    return [d for d in datasets if (not include or matches(d.id, include)) and not matches(d.id, exclude)]

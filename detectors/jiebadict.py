"""jieba's prefix dictionary loaded from jieba's own cache file in one read.

Why: jieba reads its cache with ``marshal.load`` on an open file, which
calls back into the file object for each of the ~500,000 entries: about
1.1 s of CPU, against 0.3 s for ``marshal.loads`` of the same bytes. Any
scan with Chinese free text pays it once per process (and per worker), so
it dominates the start-up of small scans. This reads the very file jieba
would read (same name and folder, same validity rule), and otherwise lets
jieba do what it always does (build the dictionary and write the cache).
Only the default dictionary is handled here; a custom one goes through jieba.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from typing import Any


def initialize(tokenizer: Any = None) -> None:
    """Make ``tokenizer`` (default: jieba's global one) ready to cut text, fast when its cache exists."""
    import jieba

    tokenizer = jieba.dt if tokenizer is None else tokenizer
    if tokenizer.initialized:
        return
    path = cache_path(tokenizer)
    if path is not None:
        with tokenizer.lock:
            if tokenizer.initialized:
                return
            loaded = _read_cache(path)
            if loaded is not None:
                tokenizer.FREQ, tokenizer.total = loaded
                tokenizer.initialized = True
                return
    tokenizer.initialize()


def cache_path(tokenizer: Any) -> str | None:
    """The cache file jieba reads for the default dictionary (``Tokenizer.initialize``'s rule), else None."""
    import jieba

    if tokenizer.dictionary != jieba.DEFAULT_DICT:
        return None
    name = tokenizer.cache_file or "jieba.cache"
    return os.path.join(tokenizer.tmp_dir or tempfile.gettempdir(), name)


def _read_cache(path: str) -> tuple[dict[str, int], int] | None:
    """(FREQ, total) from a jieba cache file, or None if it is missing or not one."""
    try:
        with open(path, "rb") as handle:
            data = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], dict) and isinstance(data[1], int)):
        return None
    return data[0], data[1]

"""YAML files people write (policy, anonymization rules, config): read and validated with precise errors.

A typo in a file that drives a scheduled job must stop it loudly, naming the
file, the line and the key, so every such file goes through the same reader
and the same pydantic error description.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scanner.errors import error_message
from scanner.smallfile import YAML_FILE_LIMIT, SmallFileError, read_small

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, kind: str, error: type[Exception]) -> tuple[yaml.Node | None, Any]:
    """(node tree for line numbers, parsed data); ``error`` with ``file[:line]: ...`` when unreadable."""
    try:
        text = read_small(path, YAML_FILE_LIMIT).decode("utf-8")
    except SmallFileError as exc:
        raise error(f"{path}: cannot read {kind}: {error_message(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {kind} ({type(exc).__name__})") from exc
    try:
        return yaml.compose(text), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise error(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                key = next((k for k, _ in node.value if k.value == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def describe_validation(path: Path, root: yaml.Node | None, exc: ValidationError) -> str:
    """``file:line: key: problem`` for the first error (pydantic's own text, never the value)."""
    loc, problem = validation_problem(exc)
    return f"{path}:{line_of(root, loc)}: {problem}"


def validation_problem(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    """(location, ``key: problem``) of the first error, for data that came from no file (no line to name)."""
    first = exc.errors()[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = ".".join(str(p) for p in loc) or "(root)"
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "literal_error" and loc:
        msg = f"unknown {loc[-1]}: {msg}"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return loc, f"{key}: {msg}{more}"


def load_model(path: Path, kind: str, error: type[Exception], model: type[M], not_mapping: str,
               empty: dict[str, Any] | None = None) -> tuple[yaml.Node | None, M]:
    """Read a YAML file, check it is a mapping and validate it; every problem is one ``error`` line.

    ``not_mapping`` is the message (after ``file``) for a document that is no
    mapping; ``empty`` stands in for an empty document where one is allowed.
    """
    root, data = read_yaml(path, kind, error)
    if data is None and empty is not None:
        data = empty
    if not isinstance(data, dict):
        raise error(f"{path}{not_mapping}")
    try:
        return root, model.model_validate(data)
    except ValidationError as exc:
        raise error(describe_validation(path, root, exc)) from None

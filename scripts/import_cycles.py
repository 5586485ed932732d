"""Print import cycles among the project's own modules (scanner, detectors, reports).

Reads every module's ``import`` statements with ``ast`` (module level and
inside functions, the latter marked ``lazy``) and prints each strongly
connected component of more than one module, so a cycle hidden behind a
function-level import is visible too. Exit status 1 when there is a cycle.
Usage: python scripts/import_cycles.py [--module-level-only]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scanner", "detectors", "reports")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The longest project module that ``name`` refers to (a module or a name inside one)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports(path: Path, modules: set[str], module_level_only: bool) -> Iterator[tuple[str, bool]]:
    """(imported project module, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    top |= {id(n) for stmt in tree.body if isinstance(stmt, (ast.If, ast.Try)) for n in ast.walk(stmt)}
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        level = id(node) in top
        if module_level_only and not level:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" for a in node.names]
        for name in names:
            target = _resolve(name, modules)
            if target and target != here:
                yield target, level


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def import_graph(module_level_only: bool = False) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """(module -> project modules it imports, the (importer, imported) pairs done inside functions)."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    lazy: set[tuple[str, str]] = set()
    for path in files:
        for target, level in imports(path, modules, module_level_only):
            graph[module_name(path)].add(target)
            if not level:
                lazy.add((module_name(path), target))
    return graph, lazy


def find_cycles(module_level_only: bool = False) -> list[list[str]]:
    """Every import cycle among the project's modules, each as its sorted member list."""
    return components(import_graph(module_level_only)[0])


def main(argv: list[str]) -> int:
    graph, lazy = import_graph("--module-level-only" in argv)
    cycles = components(graph)
    for comp in cycles:
        members = set(comp)
        print("cycle:", " ".join(comp))
        for a in comp:
            for b in sorted(graph[a] & members):
                print(f"    {a} -> {b}{' (lazy)' if (a, b) in lazy else ''}")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

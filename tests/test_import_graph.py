"""The package's import graph has no circle: counted from the source, independently of import-linter.

Every import statement counts, including those inside functions; only imports under
`if TYPE_CHECKING:` are free (they never run). The layers contract in pyproject (`lint-imports`)
says which way imports may point; this says that no module reaches itself again.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import tta_dev_primitives

PACKAGE = "tta_dev_primitives"
ROOT = Path(tta_dev_primitives.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package `__init__`)."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in ROOT.rglob("*.py"):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Dotted names each import statement under `node` names (TYPE_CHECKING blocks skipped)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imported(ast.Module(body=[other], type_ignores=[]), module, is_package)
            continue
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            if child.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (child.level - 1)]
                source = ".".join([*base, *([child.module] if child.module else [])])
            else:
                source = child.module or ""
            # `from pkg import name` imports the module pkg.name when there is one, else pkg
            yield from (source if alias.name == "*" else f"{source}.{alias.name}" for alias in child.names)
        yield from _imported(child, module, is_package)


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (an imported name resolves to its module)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        targets = {resolve(name) for name in _imported(ast.parse(path.read_text()), module, is_package) if name.startswith(PACKAGE)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_is_part_of_an_import_circle() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the walk found the package
    assert circles(graph) == []


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import() -> None:
    """The check can fail: a circle closed by a lazy import is reported; a TYPE_CHECKING one is not."""
    source = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tta_dev_primitives.b import X\n"
        "def f():\n    from tta_dev_primitives.c import Y\n"
    )
    imported = set(_imported(source, "tta_dev_primitives.a", False))
    assert "tta_dev_primitives.c.Y" in imported and not any(name.startswith("tta_dev_primitives.b") for name in imported)
    graph = {"a": {"c"}, "b": set(), "c": {"a"}}
    assert circles(graph) == [["a", "c"]]

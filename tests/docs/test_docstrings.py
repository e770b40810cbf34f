"""Every public class, function, method and property has a docstring: the API reference
(`make docs`) is generated from them, so a missing one is a hole in the reference."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import tta_dev_primitives

def public_modules() -> Iterator[ModuleType]:
    """The package and every module with no underscore in its path (the dev extras, which the
    test suite runs with, include every optional dependency they import)."""
    yield tta_dev_primitives
    for info in pkgutil.walk_packages(tta_dev_primitives.__path__, "tta_dev_primitives."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            yield importlib.import_module(info.name)


def _public_names(module: ModuleType) -> list[str]:
    """`__all__`, or for a module without one the names it defines without an underscore."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__]


def undocumented() -> list[str]:
    missing: set[str] = set()
    seen: set[int] = set()
    for module in public_modules():
        for name in _public_names(module):
            obj = getattr(module, name)
            if id(obj) in seen or not getattr(obj, "__module__", "").startswith("tta_dev_primitives"):
                continue
            seen.add(id(obj))
            where = f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"
            if inspect.isfunction(obj) and not inspect.getdoc(obj):
                missing.add(where)
            if not inspect.isclass(obj):
                continue
            if not inspect.getdoc(obj):
                missing.add(where)
            for attribute, value in vars(obj).items():
                if attribute.startswith("_"):
                    continue
                if isinstance(value, property):
                    documented = bool(value.__doc__)
                elif inspect.isfunction(getattr(value, "__func__", value)):
                    documented = bool(inspect.getdoc(getattr(obj, attribute)))  # an overridden method inherits its base's
                else:
                    continue
                if not documented:
                    missing.add(f"{where}.{attribute}")
    return sorted(missing)


def test_every_public_class_function_and_method_has_a_docstring() -> None:
    assert undocumented() == []


def test_the_check_finds_a_missing_docstring() -> None:
    from tta_dev_primitives.stdlib.llm import prices

    saved = prices.ModelPrice.cost.__doc__
    prices.ModelPrice.cost.__doc__ = None
    try:
        assert "tta_dev_primitives.stdlib.llm.prices.ModelPrice.cost" in undocumented()
    finally:
        prices.ModelPrice.cost.__doc__ = saved


def test_the_reference_covers_every_module_the_docs_and_examples_import_from() -> None:
    """Every module a page of the documentation or an example imports from has its page in the
    API reference (docs/reference/<module>.md), or is a submodule the package exports."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    referenced = {page.stem for page in (root / "docs" / "reference").glob("*.md")}
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md")), *sorted((root / "examples").glob("*.py"))]
    imported = {m for page in pages for m in re.findall(r"^\s*from (tta_dev_primitives[\w.]*) import", page.read_text(), re.M)}
    import tta_dev_primitives as package

    exported = {f"tta_dev_primitives.{name}" for name in package.__all__ if isinstance(getattr(package, name), ModuleType)}
    assert imported and sorted(imported - referenced - exported) == []  # an exported submodule has its page

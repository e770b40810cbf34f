"""Every public exception class lives in `tta_dev_primitives.errors`; the modules that defined
them before keep giving the very same class objects; errors.py imports nothing from the package."""

from __future__ import annotations

import ast
import importlib
import pickle
import pkgutil
from pathlib import Path

import pytest

import tta_dev_primitives
from tta_dev_primitives import errors

ALLOWED_ELSEWHERE: dict[str, str] = {}
"""Public exception classes (by name) defined outside `tta_dev_primitives.errors`, each with the
reason it cannot move. None today: a class added to this list must say why."""

README_DOCUMENTED = ("ArgumentLimitError", "TargetError")
"""Exceptions the documentation (README.md, docs/) names that no package `__init__` exports."""

OLD_PATHS = {
    "tta_dev_primitives.compiler._diagnostics": ["TypeMismatchError"],
    "tta_dev_primitives.compiler.passes._analyze": ["BudgetError"],
    "tta_dev_primitives.compiler.passes._lint": ["LintError"],
    "tta_dev_primitives.compiler.passes._typecheck": ["StateKeyError"],
    "tta_dev_primitives.compiler._render": ["RenderError"],
    "tta_dev_primitives.executor._outputs": ["InputTypeError", "OutputTypeError"],
    "tta_dev_primitives.executor._runner": ["RunTimeoutError"],
    "tta_dev_primitives.executor.backends.errors": ["RemoteError", "RemoteSerializationError"],
    "tta_dev_primitives.stdlib.recovery.errors": [
        "BulkheadFullError", "CircuitOpenError", "CompensationInterruptedError", "FallbackError", "NodeTimeoutError",
        "RateLimitedError", "SagaError", "TransientError",
    ],
    "tta_dev_primitives.stdlib.recovery._hedge": ["HedgeError"],
    "tta_dev_primitives.stdlib.flow._routing": ["RouteNotFoundError"],
    "tta_dev_primitives.stdlib.flow._policies": ["BudgetExceededError", "NoRouteMeetsQualityError"],
    "tta_dev_primitives.stdlib.cache._codec": ["CacheSerializationError"],
    "tta_dev_primitives.stdlib.cache._keys": ["CacheKeyError"],
    "tta_dev_primitives.stdlib.llm._arguments": ["ArgumentLimitError", "ToolArgumentsError"],
    "tta_dev_primitives.stdlib.llm._tools": ["ToolArgumentsError"],
    "tta_dev_primitives.stdlib.llm._cost": ["UnpricedModelWarning"],
    "tta_dev_primitives.stdlib.llm._schema": ["SchemaMismatch"],
    "tta_dev_primitives.stdlib.llm._structured": ["StructuredOutputError"],
    "tta_dev_primitives.stdlib.llm.providers._errors": ["ModelCallError", "ModelTransientError"],
    "tta_dev_primitives.durable.errors": [
        "ClaimLostError", "CodeChangedError", "DurableRunError", "JournalCodecError", "JournalCorruptError", "JournalEncodeError",
        "JournalUnavailableError", "PlanChangedError", "RecordedError", "ResumeError", "RunInProgressError", "RunInputMismatchError",
    ],
    "tta_dev_primitives.mcp._client": ["MCPConnectionError", "MCPToolError"],
    "tta_dev_primitives.mcp._devtools": ["DevtoolError"],
    "tta_dev_primitives.cli": ["TargetError"],
}
"""Where each moved class was defined before it moved to `tta_dev_primitives.errors`."""


def _packages() -> list[str]:
    found = ["tta_dev_primitives"]
    for info in pkgutil.walk_packages(tta_dev_primitives.__path__, "tta_dev_primitives."):
        if info.ispkg:
            found.append(info.name)
    return found


def _public_exceptions() -> dict[str, list[tuple[str, type[BaseException]]]]:
    """Exception and warning classes exported by the package and its packages' `__all__`, by
    name, with where they are exported from."""
    found: dict[str, list[tuple[str, type[BaseException]]]] = {}
    for package in _packages():
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            try:
                value = getattr(module, name)
            except ImportError:  # a lazy export of an extra that is not installed (a backend, a client)
                continue
            if isinstance(value, type) and issubclass(value, BaseException):
                found.setdefault(name, []).append((package, value))
    return found


def test_every_public_exception_is_defined_in_errors() -> None:
    public = _public_exceptions()
    assert len(public) >= 50  # the walk found the exports (lazy ones included)
    misplaced = {
        name: cls.__module__
        for name, places in public.items()
        for _, cls in places
        if cls.__module__ != "tta_dev_primitives.errors" and name not in ALLOWED_ELSEWHERE
    }
    assert misplaced == {}
    for name, places in public.items():
        assert len({id(cls) for _, cls in places}) == 1, f"{name} names different classes in {[p for p, _ in places]}"


def test_readme_documented_exceptions_are_defined_in_errors() -> None:
    root = Path(__file__).resolve().parents[1]
    docs = "\n".join(page.read_text(encoding="utf-8") for page in (root / "README.md", *sorted((root / "docs").rglob("*.md"))))
    for name in README_DOCUMENTED:
        assert name in docs
        assert getattr(errors, name).__module__ == "tta_dev_primitives.errors"


def test_errors_all_lists_exactly_its_exception_classes() -> None:
    defined = {
        name for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == errors.__name__
    }
    assert set(errors.__all__) == defined
    # by class, not by export name: the compat module `recovery` exports NodeTimeoutError as TimeoutError
    for places in _public_exceptions().values():
        for _, cls in places:
            assert cls.__name__ in defined and getattr(errors, cls.__name__) is cls


def test_allow_list_entries_are_real_and_give_reasons() -> None:
    public = _public_exceptions()
    for name, reason in ALLOWED_ELSEWHERE.items():
        assert name in public and reason.strip()
        assert all(cls.__module__ != "tta_dev_primitives.errors" for _, cls in public[name])


@pytest.mark.parametrize("module_name", sorted(OLD_PATHS))
def test_old_paths_give_the_same_class(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in OLD_PATHS[module_name]:
        assert getattr(module, name) is getattr(errors, name), f"{module_name}.{name}"


def test_package_exports_give_the_same_classes() -> None:
    from tta_dev_primitives.durable import RecordedError, ResumeError
    from tta_dev_primitives.durable.errors import ResumeError as OldResumeError
    from tta_dev_primitives.executor.backends import RemoteError
    from tta_dev_primitives.stdlib.recovery import HedgeError, TransientError

    assert ResumeError is OldResumeError is errors.ResumeError
    assert RecordedError is errors.RecordedError and RemoteError is errors.RemoteError
    assert TransientError is errors.TransientError and HedgeError is errors.HedgeError
    assert tta_dev_primitives.TypeMismatchError is errors.TypeMismatchError


def test_errors_imports_nothing_from_the_package() -> None:
    """errors.py is the bottom layer: no import of the package at run time (at module level or
    inside functions); only imports for type checkers, under TYPE_CHECKING."""
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    type_checking_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            type_checking_only.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("tta_dev_primitives"), ast.unparse(node)
        if isinstance(node, ast.Import):
            assert not any(alias.name.startswith("tta_dev_primitives") for alias in node.names), ast.unparse(node)
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            assert called not in {"__import__", "import_module"}, ast.unparse(node)


def test_moved_errors_pickle_by_their_new_path() -> None:
    """Errors that cross processes (remote nodes) are pickled by module path and name."""
    for error in (
        errors.RemoteError("n", "m.E", "boom", "tb", "w1", "it does not pickle"),
        errors.RemoteSerializationError("n", "input", "Lock", "cannot pickle"),
        errors.ArgumentLimitError("t", "depth", 64, "[[[]]]"),
        errors.TransientError("later", retry_after=1.5),
    ):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert f"{type(error).__module__}.{type(error).__qualname__}" == f"tta_dev_primitives.errors.{type(error).__name__}"

"""Which modules are public, and old module paths that keep working.

Implementation modules are private (`_name.py`); code written against their former paths
(`tta_dev_primitives.executor.emit`) still imports, and gets the very same module object.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import tta_dev_primitives
from tta_dev_primitives._old_paths import FACED
from tta_dev_primitives._old_paths import MOVED as OLD_PATHS_MOVED
from tta_dev_primitives._old_paths import OLD_PATHS

BORN_PRIVATE = {
    "_deep", "_registry", "_old_paths", "observability._support", "compiler._policy", "compiler._program", "dsl._fluent",
    "executor._instrument", "executor._step", "observability._workers", "stdlib.cache._function", "stdlib._fluent",
    "research._free_tier_data",
    "stdlib.llm._retrying", "observability._run_links", "durable._trace", "stdlib.cache._forms",
    "observability._views", "observability._model_spans", "stdlib.llm._span_views", "observability._enhanced", "apm._observable",
    "core._instrumented", "core._spans",
    "integrations._chat", "integrations._completions", "recovery._support",
    *(f"stdlib.llm.providers._{name}" for name in (
        "bedrock_chat", "chat_completions", "gemini_chat", "groq_chat", "huggingface_chat", "mistral_chat", "ollama_chat", "openai_presets",
        "streams",
    )),
}
"""Private modules that never had a public-looking path (in a release)."""

PUBLIC_MODULES = {
    "__main__",  # `python -m tta_dev_primitives`
    "apm_metadata", "backends", "cache", "cli", "context", "errors", "events", "extras", "llm", "lowlevel", "mypy_plugin", "plan",
    "core.base", "core.conditional", "core.parallel", "core.routing", "core.sequential", "performance.cache",
    "recovery.circuit_breaker", "recovery.compensation", "recovery.fallback", "recovery.retry", "recovery.timeout",
    "testing.mocks", "observability.instrumented_primitive", "observability.context_propagation", "observability.enhanced_collector",
    "observability.enhanced_metrics", "observability.logging", "observability.metrics", "observability.tracing",
    "apm.decorators", "apm.instrumented", "apm.setup",
    "research.free_tier_research", "orchestration.delegation_primitive", "orchestration.multi_model_workflow",
    "orchestration.task_classifier_primitive", "config.orchestration_config",
    *(f"integrations.{name}_primitive" for name in (
        "anthropic", "google_ai_studio", "groq", "huggingface", "ollama", "openai", "openrouter", "sqlite", "supabase", "together_ai",
    )),
    "stdlib.llm.prices", "stdlib.llm.model", "stdlib.llm.providers.select", "executor.backends.dask",
    "stdlib.testing.pytest_plugin", "durable.errors", "stdlib.recovery.errors", "executor.backends.errors",
}
"""Modules (not packages) whose path is public: the faces, the documented paths, the original
package's paths and the exception faces. Every other module is private."""


def _modules() -> dict[str, bool]:
    """Every module of the package, relative dotted name -> is a package."""
    found = {}
    prefix = "tta_dev_primitives."
    for info in pkgutil.walk_packages(tta_dev_primitives.__path__, prefix=prefix):
        found[info.name.removeprefix(prefix)] = info.ispkg
    return found


def test_every_module_is_a_package_a_public_face_or_private() -> None:
    modules = _modules()
    for name, is_package in modules.items():
        if is_package or name in PUBLIC_MODULES:
            continue
        assert name.rpartition(".")[2].startswith("_"), f"{name} is neither private (_name) nor a listed public module"


def test_every_private_module_has_its_old_path_or_was_born_private() -> None:
    private = {name for name, is_package in _modules().items() if not is_package and name.rpartition(".")[2].startswith("_") and name not in PUBLIC_MODULES}
    assert private - set(OLD_PATHS.values()) - set(FACED.values()) <= BORN_PRIVATE
    assert set(OLD_PATHS.values()) | set(FACED.values()) <= set(_modules())  # no old path points at a module that is gone
    assert not set(FACED) & set(OLD_PATHS)  # a faced path is a module of its own, not an alias


@pytest.mark.parametrize("face", sorted(FACED))
def test_a_faced_old_path_is_its_own_module_keeping_every_public_name_it_aliased(face: str) -> None:
    """`observability.logging`, `.metrics` and `.tracing` are the original package's modules
    again; code that imported our names through them before still gets the very same objects."""
    module = importlib.import_module(f"tta_dev_primitives.{face}")
    private = importlib.import_module(f"tta_dev_primitives.{FACED[face]}")
    assert module is not private and module.__file__ != private.__file__
    public = [name for name in private.__all__]
    public += [name for name, value in vars(private).items() if name.isupper() and name != "TYPE_CHECKING" and not name.startswith("_") and isinstance(value, (int, float, str, tuple, dict, frozenset))]
    missing = [name for name in public if getattr(module, name, None) is not getattr(private, name)]
    assert not missing, missing
    assert set(private.__all__) <= set(module.__all__)


def test_faced_old_paths_keep_their_persistent_module_names() -> None:
    from tta_dev_primitives._old_paths import stable_module

    assert stable_module("tta_dev_primitives.observability._metrics") == "tta_dev_primitives.observability.metrics"
    assert stable_module("tta_dev_primitives.observability.metrics") == "tta_dev_primitives.observability.metrics"


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_an_old_path_gives_the_renamed_module_itself(old: str) -> None:
    module = importlib.import_module(f"tta_dev_primitives.{old}")
    assert module is importlib.import_module(f"tta_dev_primitives.{OLD_PATHS[old]}")


def test_from_imports_through_an_old_path_give_the_same_objects() -> None:
    from tta_dev_primitives.compiler.lowering import lowering as old_lowering
    from tta_dev_primitives.executor.emit import Step as OldStep

    from tta_dev_primitives.lowlevel import Step, lowering

    assert OldStep is Step and old_lowering is lowering


def test_an_old_path_imports_first_in_a_fresh_process() -> None:
    """Importing an old path before anything else loads the package, then answers the path."""
    code = "import tta_dev_primitives.stdlib.recovery.retry as r, tta_dev_primitives as t; print(r.Retry is t.Retry)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_an_old_path_named_like_a_function_of_its_package_leaves_the_function() -> None:
    """`compiler.compile`, `durable.interrupt`, ... were modules and package functions at once;
    importing the old module path must not replace the function on the package."""
    import tta_dev_primitives.compiler.compile
    import tta_dev_primitives.durable.interrupt
    import tta_dev_primitives.stdlib.llm.agent  # noqa: F401

    from tta_dev_primitives.compiler import compile
    from tta_dev_primitives.durable import interrupt
    from tta_dev_primitives.stdlib.llm import agent

    assert all(callable(f) and not isinstance(f, type(sys)) for f in (compile, interrupt, agent))


def test_persistent_names_keep_the_module_paths_from_before_the_rename() -> None:
    """Cache keys, structural identities and code digests are built from these names."""
    from tta_dev_primitives._old_paths import stable_module
    from tta_dev_primitives.lowlevel import CallOp

    assert stable_module(CallOp.__module__) == "tta_dev_primitives.compiler.ir"
    assert stable_module("tta_dev_primitives.stdlib.llm.model") == "tta_dev_primitives.stdlib.llm.model"
    assert stable_module("mymodule") == "mymodule"


def test_persisted_identities_are_the_ones_earlier_versions_stored() -> None:
    """Pinned values computed by the code before the modules became private and the exceptions
    moved: a shared cache stays warm and a journaled run resumes across the upgrade."""
    from tta_dev_primitives import Fallback, Timeout, TransientError, cached, compile, const
    from tta_dev_primitives.compiler._structure import stable_identity, stable_name
    from tta_dev_primitives.durable._code import _constant

    timeout = compile(Timeout(2.0, fallback=const(1))(const(2)))  # only_on=(NodeTimeoutError,) inside
    fallback = compile(Fallback(const(2), const(1), only_on=(TransientError,)))
    assert stable_identity(timeout.root)[:16] == "9d66c3ef4b1ec0de"
    assert stable_identity(fallback.root)[:16] == "1d048fab633b7117"
    assert stable_name(TransientError) == "tta_dev_primitives.stdlib.recovery.errors:TransientError"

    @cached()
    async def normalize(text: str) -> str:
        return text

    assert _constant(normalize) == "<tta_dev_primitives.stdlib.cache.decorator.CachedFunction>"  # a default in a code digest


def test_every_moved_name_still_exists_where_it_is_now() -> None:
    for path in OLD_PATHS_MOVED:
        module, _, name = f"tta_dev_primitives.{path}".rpartition(".")
        assert hasattr(importlib.import_module(module), name), path


@pytest.mark.parametrize(("short", "source"), [("llm", "stdlib.llm"), ("cache", "stdlib.cache"), ("backends", "executor.backends")])
def test_a_short_path_exports_exactly_what_its_source_does(short: str, source: str) -> None:
    short_module = importlib.import_module(f"tta_dev_primitives.{short}")
    source_module = importlib.import_module(f"tta_dev_primitives.{source}")
    assert short_module.__all__ == source_module.__all__
    assert all(getattr(short_module, name) is getattr(source_module, name) for name in source_module.__all__ if name not in LAZY)


LAZY = {"OpenAIChatModel", "AnthropicChatModel", "DaskBackend"}
"""Names loaded on first use (each needs an extra)."""


def test_an_unknown_path_still_fails_to_import() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tta_dev_primitives.executor.no_such_module")

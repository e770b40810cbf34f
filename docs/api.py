"""Build the API reference from the docstrings (pdoc) into build/api/; exit status 1 if pdoc
warns about anything (an export that does not resolve, a broken docstring link, ...).

    make docs            # or: python docs/api.py [OUTPUT_DIR]
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

PUBLIC_MODULES = (
    "tta_dev_primitives",
    "tta_dev_primitives.errors",
    "tta_dev_primitives.extras",
    "tta_dev_primitives.plan",
    "tta_dev_primitives.lowlevel",
    "tta_dev_primitives.compiler.passes",
    "tta_dev_primitives.observability",
    "tta_dev_primitives.stdlib.llm",
    "tta_dev_primitives.stdlib.llm.prices",
    "tta_dev_primitives.stdlib.llm.model",
    "tta_dev_primitives.stdlib.llm.providers",
    "tta_dev_primitives.stdlib.llm.providers.select",
    "tta_dev_primitives.stdlib.cache",
    "tta_dev_primitives.durable",
    "tta_dev_primitives.executor.backends",
    "tta_dev_primitives.executor.backends.dask",
    "tta_dev_primitives.mcp",
)
"""What the reference covers: the package's namespace (with the submodules it exports, such
as `events`) and the modules the README and the examples import from
(tests/docs/test_docstrings.py checks that none is missing)."""

LAZY_EXPORTS = (
    "tta_dev_primitives",
    "tta_dev_primitives.observability",
    "tta_dev_primitives.stdlib.llm",
    "tta_dev_primitives.stdlib.llm.providers",
    "tta_dev_primitives.executor.backends",
    "tta_dev_primitives.durable",
)
"""Modules whose `__getattr__` loads some exports on first use (to keep extras optional)."""


def resolve_lazy_exports() -> None:
    """Load every lazy export into its module, so pdoc documents it where users import it."""
    for name in LAZY_EXPORTS:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            setattr(module, attribute, getattr(module, attribute))


def build(output: Path) -> list[str]:
    """Write the reference to `output`; the warnings pdoc gave."""
    import pdoc
    import pdoc.render

    resolve_lazy_exports()
    pdoc.render.configure(docformat="markdown", footer_text="tta-dev-primitives", search=True, show_source=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*PUBLIC_MODULES, output_directory=output)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else Path("build/api")
    problems = build(output)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    pages = sum(1 for _ in output.rglob("*.html"))
    print(f"API reference: {pages} pages in {output}/ ({len(problems)} warnings)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

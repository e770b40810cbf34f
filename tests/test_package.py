"""Package metadata: apm.yml lists the real public API, and the package ships its type info."""

from __future__ import annotations

from pathlib import Path

import tta_dev_primitives

ROOT = Path(__file__).parent.parent


def _apm_field(name: str) -> str:
    for line in (ROOT / "apm.yml").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"apm.yml has no {name!r}")


def _apm_exports() -> list[str]:
    lines = (ROOT / "apm.yml").read_text().splitlines()
    start = lines.index("exports:") + 1
    exports = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        exports.append(line[4:].strip())
    return exports


def test_apm_metadata_matches_the_package() -> None:
    assert _apm_field("name") == "tta-dev-primitives"
    assert _apm_field("version") == tta_dev_primitives.__version__
    assert _apm_field("type") == "library"
    assert _apm_field("category") == "development-tools"
    public = [n for n in tta_dev_primitives.__all__ if n != "__version__"]
    assert _apm_exports() == public
    assert all(hasattr(tta_dev_primitives, n) for n in public)


def test_package_is_typed() -> None:
    assert (Path(tta_dev_primitives.__file__).parent / "py.typed").exists()

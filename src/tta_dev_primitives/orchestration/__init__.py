"""The original package's `tta_dev_primitives.orchestration` (being filled in)."""

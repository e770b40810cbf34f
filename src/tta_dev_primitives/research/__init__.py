"""The original package's `tta_dev_primitives.research` (being filled in)."""

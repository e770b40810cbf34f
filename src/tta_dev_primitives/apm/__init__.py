"""The original package's `tta_dev_primitives.apm` (being filled in)."""

"""The original package's `tta_dev_primitives.config` (being filled in)."""

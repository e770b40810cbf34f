"""The original package's `tta_dev_primitives.integrations` (being filled in)."""

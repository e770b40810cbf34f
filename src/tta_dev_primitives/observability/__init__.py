"""Observability as executor hooks: logging, metrics and tracing (owned by a later issue)."""

__all__: list[str] = []

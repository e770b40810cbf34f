"""What a provider's failure means to a workflow: retry it (`ModelTransientError`, a
TransientError with the provider's `retry_after`) or not (`ModelCallError`).

Both SDKs raise the same shapes (`APIStatusError` with `status_code` and the HTTP response,
`APIConnectionError` for transport failures, `ValueError` for a body that is not JSON), so one
translation serves both clients. Messages are the provider's, with the client's key removed.

The two classes live in `tta_dev_primitives.errors` (with every public exception of the package);
this module keeps their old import path, and the translation from SDK errors to them.
"""

from __future__ import annotations

import email.utils
import json
import importlib
import time
from collections.abc import Iterable, Mapping

from ....errors import ModelCallError, ModelTransientError, PrimitivesError

__all__ = ["ModelCallError", "ModelTransientError", "retry_after_from", "translate"]

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
"""Request timeout, conflict, too early, rate limited, server errors and Anthropic's overloaded."""

TRANSIENT_KINDS = frozenset({"overloaded_error", "rate_limit_error", "api_error", "timeout_error", "server_error"})
"""Error types in a body that mean "try again", whatever the HTTP status (a stream that already
answered 200 reports an overload as an `error` event)."""

PERMANENT_KINDS = frozenset({"insufficient_quota", "billing_error", "invalid_request_error", "authentication_error"})
"""Error types that no retry fixes, even under a retryable status (OpenAI answers an exhausted
quota with 429 and code `insufficient_quota`)."""


def _error_kind(error: Exception) -> str | None:
    """The error's code or type from the provider's body (`code`, `type`, or `error.type`)."""
    code = getattr(error, "code", None)
    if isinstance(code, str):
        return code
    body = getattr(error, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            for key in ("code", "type"):
                value = inner.get(key)
                if isinstance(value, str) and value != "error":
                    return value
    return None


def retry_after_from(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` (seconds or an HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def transport_errors(sdk_client_class: type) -> tuple[type[Exception], ...]:
    """The transport error base (`TransportError`) of the httpx package an SDK's HTTP client
    is built on: an SDK may let it escape while reading a stream (a connection cut mid-way)."""
    for base in sdk_client_class.__mro__:
        root = base.__module__.split(".")[0]
        if root.startswith("httpx"):
            error = getattr(importlib.import_module(root), "TransportError", None)
            if isinstance(error, type) and issubclass(error, Exception):
                return (error,)
    return ()


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret (API keys) replaced, so errors and logs never carry them."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


def translate(
    error: Exception,
    *,
    provider: str,
    model: str,
    status_error: type[Exception],
    connection_errors: tuple[type[Exception], ...],
    api_error: type[Exception],
    secrets: Iterable[str | None] = (),
) -> PrimitivesError | None:
    """Our error for an SDK error (None when it is not a provider failure, e.g. a bug)."""
    where = f"{provider} model {model!r}"
    if isinstance(error, status_error):
        status = int(getattr(error, "status_code", 0)) or None
        response = getattr(error, "response", None)
        headers: Mapping[str, str] = dict(getattr(response, "headers", {}) or {})
        message = redact(f"{where}: HTTP {status}: {getattr(error, 'message', error)}", secrets)
        kind = _error_kind(error)
        if kind in PERMANENT_KINDS:  # a 429 for an exhausted quota will not pass on retry
            return ModelCallError(message, provider=provider, model=model, status=status)
        if status in RETRYABLE_STATUS or (kind in TRANSIENT_KINDS and (status or 200) < 400):  # sent mid-stream
            return ModelTransientError(message, provider=provider, model=model, status=status, retry_after=retry_after_from(headers))
        return ModelCallError(message, provider=provider, model=model, status=status)
    if isinstance(error, connection_errors):
        cause = error.__cause__ or error.__context__
        detail = f"{error}" + (f" ({type(cause).__name__}: {cause})" if cause is not None else "")
        return ModelTransientError(redact(f"{where}: {detail}", secrets), provider=provider, model=model, status=None)
    if isinstance(error, api_error):  # an error the provider sent inside a stream
        message = redact(f"{where}: the provider reported an error: {getattr(error, 'message', error)}", secrets)
        return ModelTransientError(message, provider=provider, model=model, status=None)
    if isinstance(error, json.JSONDecodeError):  # the SDK could not decode the body
        return ModelTransientError(redact(f"{where}: malformed response: {error}", secrets), provider=provider, model=model, status=None)
    return None

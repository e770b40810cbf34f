"""What a provider's failure means to a workflow: retry it (`ModelTransientError`, a
TransientError with the provider's `retry_after`) or not (`ModelCallError`).

One policy classifies every provider's failures (`status_failure`, `transport_failure`,
`malformed_failure`, `stream_error_failure`); each client only reads its SDK's errors into
them. The Stainless-generated SDKs (openai, anthropic, groq) share their error shapes
(`APIStatusError` with `status_code` and the HTTP response, `APIConnectionError` for transport
failures), read by `translate`. Messages are the provider's, with the client's key removed.

The two classes live in `tta_dev_primitives.errors` (with every public exception of the package);
this module keeps their old import path, and the translation from SDK errors to them.
"""

from __future__ import annotations

import email.utils
import functools
import json
import importlib
import time
from collections.abc import Iterable, Mapping

from ....errors import ModelCallError, ModelTransientError, PrimitivesError

__all__ = [
    "ModelCallError",
    "ModelTransientError",
    "http_errors",
    "malformed_failure",
    "retry_after_from",
    "retry_delay_from",
    "status_failure",
    "stream_error_failure",
    "translate",
    "transport_failure",
]

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 498, 500, 502, 503, 504, 529})
"""Request timeout, conflict, too early, rate limited, Groq's flex tier over capacity (498),
server errors and Anthropic's overloaded (529)."""

TRANSIENT_KINDS = frozenset(
    {
        "overloaded_error",
        "rate_limit_error",
        "api_error",
        "timeout_error",
        "server_error",
        # AWS error codes (boto3 clients read `throttlingException` sent inside a stream as these)
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelStreamErrorException",
        "ModelNotReadyException",
        "ModelTimeoutException",
    }
)
"""Error types in a body that mean "try again", whatever the HTTP status (a stream that already
answered 200 reports an overload as an `error` event, Bedrock a `throttlingException` event)."""

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


def retry_delay_from(body: object) -> float | None:
    """Seconds to wait from a `google.rpc.RetryInfo` in an error body's `details` (Google's APIs,
    Gemini among them, send `{"error": {..., "details": [{"@type": ".../google.rpc.RetryInfo",
    "retryDelay": "7s"}]}}` on a 429, often without a `Retry-After` header). None without one."""
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    details = inner.get("details") if isinstance(inner, Mapping) else None
    if not isinstance(details, list):
        return None
    for detail in details:
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):  # a protobuf Duration in JSON: "7s", "0.5s"
                try:
                    return max(0.0, float(delay[:-1]))
                except ValueError:
                    return None
    return None


HTTP_PACKAGES = ("httpx2", "httpx")
"""The HTTP client packages the SDKs here are built on (httpx2 is the newer SDKs' fork)."""


@functools.cache
def http_errors(name: str) -> tuple[type[Exception], ...]:
    """The error class `name` (`TransportError`, `DecodingError`) of every installed HTTP
    package an SDK may run on: an SDK built on its own copy (httpx2), or given a client of the
    other (httpx), lets these escape as they are."""
    found: list[type[Exception]] = []
    for package in HTTP_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        error = getattr(module, name, None)
        if isinstance(error, type) and issubclass(error, Exception):
            found.append(error)
    return tuple(found)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret (API keys) replaced, so errors and logs never carry them."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


def status_failure(
    *,
    provider: str,
    model: str,
    status: int | None,
    message: str,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
    secrets: Iterable[str | None] = (),
    retry_after: float | None = None,
) -> PrimitivesError:
    """Our error for a provider's refusal or failure with an HTTP `status` (None: reported inside
    a stream that had already answered 200): transient for RETRYABLE_STATUS and the
    TRANSIENT_KINDS a stream reports, permanent for PERMANENT_KINDS whatever the status, with the
    `Retry-After` hint from `headers` (else `retry_after`, a hint the provider gave in its body,
    see `retry_delay_from`). Every client classifies through here, whatever its SDK's error
    classes look like."""
    text = redact(f"{provider} model {model!r}: " + (f"HTTP {status}: " if status else "") + message, secrets)
    if kind in PERMANENT_KINDS:  # a 429 for an exhausted quota will not pass on retry
        return ModelCallError(text, provider=provider, model=model, status=status)
    if status in RETRYABLE_STATUS or (kind in TRANSIENT_KINDS and (status or 200) < 400):  # sent mid-stream
        hint = retry_after_from(headers or {})
        return ModelTransientError(text, provider=provider, model=model, status=status, retry_after=retry_after if hint is None else hint)
    return ModelCallError(text, provider=provider, model=model, status=status)


def transport_failure(error: BaseException, *, provider: str, model: str, secrets: Iterable[str | None] = ()) -> ModelTransientError:
    """A connection refused, reset or timed out (retryable), with its cause named."""
    cause = error.__cause__ or error.__context__
    detail = f"{error}" + (f" ({type(cause).__name__}: {cause})" if cause is not None else "")
    return ModelTransientError(redact(f"{provider} model {model!r}: {detail}", secrets), provider=provider, model=model, status=None)


def malformed_failure(error: BaseException, *, provider: str, model: str, secrets: Iterable[str | None] = ()) -> ModelTransientError:
    """A body or event the SDK could not decode, or of the wrong shape (retryable)."""
    return ModelTransientError(
        redact(f"{provider} model {model!r}: malformed response: {type(error).__name__}: {error}", secrets),
        provider=provider,
        model=model,
        status=None,
    )


def stream_error_failure(message: object, *, provider: str, model: str, secrets: Iterable[str | None] = ()) -> ModelTransientError:
    """An error the provider sent inside a stream that had already answered 200 (retryable)."""
    text = redact(f"{provider} model {model!r}: the provider reported an error: {message}", secrets)
    return ModelTransientError(text, provider=provider, model=model, status=None)


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
    """Our error for an error of a Stainless-generated SDK (openai, anthropic, groq): None when it
    is not a provider failure (a bug), which then propagates as it is."""
    if isinstance(error, status_error):
        status = int(getattr(error, "status_code", 0)) or None
        response = getattr(error, "response", None)
        headers: Mapping[str, str] = dict(getattr(response, "headers", {}) or {})
        message = str(getattr(error, "message", error))
        return status_failure(provider=provider, model=model, status=status, message=message, headers=headers, kind=_error_kind(error), secrets=secrets)
    if isinstance(error, connection_errors):
        return transport_failure(error, provider=provider, model=model, secrets=secrets)
    if isinstance(error, api_error):  # an error the provider sent inside a stream
        return stream_error_failure(getattr(error, "message", error), provider=provider, model=model, secrets=secrets)
    if isinstance(error, json.JSONDecodeError):  # the SDK could not decode the body
        return ModelTransientError(redact(f"{provider} model {model!r}: malformed response: {error}", secrets), provider=provider, model=model, status=None)
    return None

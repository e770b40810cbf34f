"""What never reaches a log line: secret fields by name, secret values by shape.

`redact(value)` returns a JSON-ready copy of `value` in which
- the value of every field whose name looks secret is `***`, at any depth: mappings, lists of
  header pairs (`[("Authorization", "Bearer x"), (b"x-api-key", b"k")]`), dataclasses, attrs
  classes, pydantic models and plain objects (their attributes);
- a string holding a JSON object (a tool call's arguments, a request body) is masked as the
  object it holds, fields by name included, and stays a JSON string;
- every string has secret-shaped parts masked wherever they appear (bearer tokens, `sk-...`
  keys, JWTs, AWS and GitHub keys, `user:pass@` in URLs, `?api_key=` query parameters, PEM
  private keys, `Cookie:` / `Authorization:` header values, command-line credentials such as
  `curl -u user:pass`, `--password X`, `--token X`);
- cycles, depth beyond `MAX_DEPTH` and objects that fail to render become short placeholders,
  so a log call never raises.

Names are compared after normalising: lower case, `-` and spaces to `_`, camelCase split
(`X-Auth-Token` and `accessToken` become `x_auth_token` and `access_token`). Token counts stay:
`max_tokens`, `prompt_tokens` and `tokens_used` are not secrets. Extend both sets with
`add_redaction(fields=..., patterns=...)`.

Session ids: in data and text, a session id (`session_id`, `sessionId`, `sessionid`,
`JSESSIONID`, `PHPSESSID`, `session_key`, `session_id=...` in a message) is a web session
credential: whoever holds it is logged in, so it is masked. The run's own session id
(`RunContext(session_id=...)`, a chat or workflow session the application names) is an
identifier, not a secret: the library adds it to log records and spans itself (the records'
`session_id`, the spans' `session.id`) without passing it through redaction, and the attribute
names `session.id` and `workflow.session_id` are not secret names.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping

from .._log_masking import set_mask
from .._records import record_fields

__all__ = ["MAX_DEPTH", "REDACTED", "SECRET_FIELDS", "SECRET_PATTERNS", "add_redaction", "redact", "scrub", "secret_name"]

REDACTED = "***"
MAX_DEPTH = 20
"""Nesting beyond this is logged as `<depth limit>`."""

SECRET_FIELDS = frozenset(
    {
        "api_key", "apikey", "auth", "authorization", "password", "passwd", "passphrase", "token",
        "secret", "cookie", "set_cookie", "credentials", "credential", "sessionid", "session_id", "private_key",
    }
)
"""Field names (normalised) whose values are never logged; see `secret_name` for the rules that
also catch `x_api_key`, `client_secret`, `aws_secret_access_key`, `refresh_token`, ..."""

_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "passphrase", "secret", "authorization", "cookie", "credentials", "credential", "apikey",
        "sessionid", "jsessionid", "phpsessid", "sessid",
    }
)
_QUALIFIED = {
    "key": frozenset({"api", "secret", "private", "access", "signing", "encryption", "auth", "master", "license", "session"}),
    "id": frozenset({"session"}),
}
"""Words that are secret after one of these (`api_key`, `session_key`, `session_id`), not alone."""
_IDENTIFIERS = frozenset({"session.id", "workflow.session_id"})
"""Attribute names under which the library records the run's own session id (OpenTelemetry's
and OpenInference's `session.id`): identifiers, not credentials (see the module docs)."""

_VALUE = r"""(?:(?<=")[^"]*|(?<=')[^']*|[^'"\s,;&)}\]]+)"""
"""A value after its name: a quoted one up to its closing quote, else up to a separator."""

SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    ("PEM private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    ("bearer/basic credentials", r"(?i)\b(?P<keep>(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]{8,}=*"),
    ("OpenAI/Anthropic-style key", r"\b(?P<keep>sk-)(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"),
    ("JWT", r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}"),
    ("AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    ("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{30,}"),
    # up to the `@` before the host, so a password may hold `/` or `@` (`redis://:pw@host` too); a
    # port and a path (`host:8080/a@b`) are not a password
    ("password in a URL", r"(?P<keep>://[^/\s:@]*:)(?!\d*/)\S+?(?=@[^@\s/?#]+(?:[/?#:'\"\s]|$))"),
    (
        "secret query parameter",
        r"(?i)(?P<keep>[?&;](?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|token|"
        r"secret|client[_-]?secret|password|passwd|auth|key|sig|signature|(?:php|j)?sess(?:ion)?[_-]?id)=)[^&#\s]+",
    ),
    (
        "secret assignment in text (a repr, a config dump)",
        r"(?i)(?P<keep>(?:password|passwd|passphrase|secret|credentials?|(?:api|access|private|secret|signing)[_-]?key|apikey|token|"
        r"(?:php|j)?sess(?:ion)?[_-]?id)(?:\\?['\"])?\s*[=:]\s*(?:\\?['\"])?)" + _VALUE,  # JSON-escaped quotes too
    ),
    ("cookie header in text", r"(?i)(?P<keep>\b(?:set-)?cookie['\"]?\s*:\s*['\"]?)[^'\"\r\n]+"),
    (  # a scheme (`Token`, `Digest`, ...) then 8+ credential characters: not prose such as `authorization: denied`
        "authorization header in text",
        r"(?i)(?P<keep>\b(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?[A-Za-z]+\s+)[A-Za-z0-9\-._~+/:]{8,}=*",
    ),
    (  # curl/wget/httpie: `-u user:password`, `--user=user:password`, `-U` (a proxy's); not `docker -u 1000:1000`
        "user:password option on a command line",
        r"(?P<keep>(?<![\w-])(?:-[uU](?:\s+|=)?|--(?:user|proxy-user|auth)(?:\s+|=))['\"]?(?!\d+:\d+(?![^\s'\"]))[^\s:'\"]*:)[^\s'\"]+",
    ),
    (  # `--password X`, `--db-password X`, `--token X`, `--api-key X` (`--x=X` is an assignment above);
        # not `--password-stdin` or `--max-tokens 5`, and a following option is no value
        "secret option on a command line",
        r"(?i)(?P<keep>(?<![\w-])--[a-z0-9-]*(?:password|passwd|passphrase|secret|token|(?:api|secret|private)-?key)\s+['\"]?)(?!-)"
        + _VALUE,
    ),
)
"""(what it catches, regular expression): parts of any string that are masked; a `keep` group
is kept (`Bearer ***`, `https://user:***@host`, `?api_key=***`)."""

_lock = threading.Lock()
_extra_fields: frozenset[str] = frozenset()
_patterns: list[re.Pattern[str]] = [re.compile(p) for _, p in SECRET_PATTERNS]


def _mask(match: re.Match[str]) -> str:
    keep = match.groupdict().get("keep")
    return (keep or "") + REDACTED


def add_redaction(*, fields: Iterable[str] = (), patterns: Iterable[str | re.Pattern[str]] = ()) -> None:
    """Also redact these field names (compared normalised) and these value patterns, process-wide."""
    global _extra_fields
    names = [_normalise(f) for f in fields]
    compiled = [p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns]
    with _lock:
        _extra_fields = _extra_fields | frozenset(names)
        _patterns.extend(compiled)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def _normalise(name: str) -> str:
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name).lower()).strip("_")


def secret_name(name: str) -> bool:
    """Whether a field called `name` holds a secret: one of SECRET_FIELDS (or added ones), any
    name containing a secret word (password, secret, authorization, cookie, credentials, ...),
    one ending in `token` (not `tokens`: counts are not secrets), a qualified `key` (`api_key`,
    `x_api_key`, `private_key`, `secret_access_key`, `session_key`, ...) or a session id
    (`session_id`, `user_session_id`, `JSESSIONID`); not the attribute names under which the
    run's own session id is recorded (`session.id`)."""
    normal = _normalise(name)
    if normal in _extra_fields:
        return True
    if name in _IDENTIFIERS:
        return False
    if normal in SECRET_FIELDS:
        return True
    words = normal.split("_")
    if _SECRET_WORDS.intersection(words) or words[-1] == "token":
        return True
    return any(i > 0 and words[i - 1] in _QUALIFIED.get(word, ()) for i, word in enumerate(words))


def scrub(text: str) -> str:
    """`text` with every secret-shaped part masked, also where it is percent-encoded (a URL in a
    query parameter): such a word is decoded, and masked decoded when it holds a secret."""
    for pattern in _patterns:
        text = pattern.sub(_mask, text)
    if "%" in text:
        text = _ENCODED.sub(_scrub_encoded, text)
    return text


_ENCODED = re.compile(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+")
"""A word with percent-escapes in it."""


set_mask(scrub)  # the library's loggers (and get_logger's) mask their records with it


def _scrub_encoded(match: re.Match[str]) -> str:
    from urllib.parse import unquote

    word = match.group()
    plain = unquote(word)
    masked = plain
    for pattern in _patterns:
        masked = pattern.sub(_mask, masked)
    return word if masked == plain else masked


def redact(value: object, key: str | None = None, *, max_chars: int | None = None) -> object:
    """A JSON-ready copy of `value` with secrets masked (see the module docs). Never raises.

    With `max_chars`, only about that much of `value` is looked at: strings are cut (with a
    margin, so a secret crossing the cut is still masked) and containers stop after the items
    that fill the budget, ending with a `<N more items>` marker; the cost stays bounded
    whatever the size of `value`."""
    budget = [max_chars] if max_chars is not None else None
    try:
        return _redact(value, key, 0, set(), budget)
    except Exception:  # a broken __repr__, a mapping that fails to iterate, ...
        return f"<unloggable {type(value).__name__}>"


_MARGIN = 256
"""Characters kept beyond a string's share of the budget before masking (a secret crossing the cut)."""


_OPEN_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*\Z")
"""A private key whose END line the cut left out: masked to the end of the kept text."""


def _text(text: str, budget: list[int] | None) -> str:
    if budget is None:
        return scrub(text)
    keep = max(budget[0], 0) + _MARGIN
    masked = scrub(text[:keep])
    if len(text) > keep:  # cut: a secret that runs past the cut has no end for its pattern to see
        masked = _OPEN_KEY.sub(REDACTED, masked)
    budget[0] -= len(masked)
    return masked


def _redact(value: object, key: str | None, depth: int, path: set[int], budget: list[int] | None = None) -> object:
    if key is not None and secret_name(key):
        return REDACTED
    if value is None or isinstance(value, (bool, int, float)):
        if budget is not None:
            budget[0] -= 8
        return value
    if isinstance(value, str):
        if value[:1] == "{" and value[-1:] == "}" and depth < MAX_DEPTH and (budget is None or len(value) <= budget[0]):
            masked = _json_object(value, depth, path)
            if masked is not None:
                if budget is not None:
                    budget[0] -= len(masked)
                return masked
        return _text(value, budget)
    if isinstance(value, (bytes, bytearray)):
        return _text(bytes(value[: budget[0] + _MARGIN] if budget is not None else value).decode("utf-8", "replace"), budget)
    if depth >= MAX_DEPTH:
        return "<depth limit>"
    if id(value) in path:
        return "<cycle>"
    path.add(id(value))
    try:
        return _container(value, depth + 1, path, budget)
    except Exception:  # this value only: its neighbours are still logged
        return f"<unloggable {type(value).__name__}>"
    finally:
        path.discard(id(value))


def _json_object(text: str, depth: int, path: set[int]) -> str | None:
    """`text`, a JSON object, with its secret fields masked by name as well as by shape; None
    when it is not JSON or has no secret field (then it is masked as text, its form kept)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    masked = _container(parsed, depth + 1, path, None)
    if masked == _container_shapes_only(parsed):
        return None
    return json.dumps(masked, ensure_ascii=False)


def _container_shapes_only(value: object) -> object:
    """`value` with only secret-shaped text masked (what masking `value` as text would do to its
    strings): what `_json_object` compares with, to tell whether a field was secret by name."""
    if isinstance(value, dict):
        return {scrub(str(k)): _container_shapes_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_container_shapes_only(item) for item in value]
    return scrub(value) if isinstance(value, str) else value


def _container(value: object, depth: int, path: set[int], budget: list[int] | None) -> object:
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for count, (k, v) in enumerate(value.items()):
            if budget is not None and budget[0] <= 0:
                out["…"] = f"<{len(value) - count} more items>"
                break
            out[scrub(str(k))] = _redact(v, _name(k), depth, path, budget)  # a key can be secret-shaped too
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        pairs = bool(items) and all(_is_pair(item) for item in items)  # header lists: (name, value) pairs
        result: list[object] = []
        for count, item in enumerate(items):
            if budget is not None and budget[0] <= 0:
                result.append(f"<{len(items) - count} more items>")
                break
            if pairs:
                k, v = item
                result.append([_redact(k, None, depth, path, budget), _redact(v, _name(k), depth, path, budget)])
            else:
                result.append(_redact(item, None, depth, path, budget))
        return result
    fields = _fields(value)
    if fields is not None:
        return {k: _redact(v, k, depth, path, budget) for k, v in fields.items()}
    return _text(str(value), budget)


def _is_pair(item: object) -> bool:
    return isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (str, bytes))


def _name(key: object) -> str | None:
    if isinstance(key, str):
        return key
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", "replace")
    return None


def _fields(value: object) -> dict[str, object] | None:
    """The attributes of a dataclass, attrs class, pydantic model or plain object; None for
    values best logged as their text (numbers, dates, paths, exceptions, ...)."""
    fields = record_fields(value)
    if fields is not None:
        return fields
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        dumped = dump()
        return dict(dumped) if isinstance(dumped, Mapping) else None
    if isinstance(value, BaseException) or isinstance(value, type):
        return None
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and type(value).__repr__ is object.__repr__:
        return {k: v for k, v in attributes.items() if not k.startswith("_")}
    return None

"""Secrets never leave the process through telemetry: span exception events and statuses, export
warnings, log lines (session ids, command-line credentials); our own identifiers stay readable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import FakeClock, FallbackError, RunContext, compile, get_logger, node, trace_operation
from tta_dev_primitives.observability import TracingHook, configure_logging, configure_tracing, scrub, secret_name

# The six secret shapes, and the parts of each that must never be seen (what stays, such as
# `user:` or `Bearer `, is allowed).
JWT_PARTS = ("eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJlLXZhbHVlLWhlcmU")
SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "password in a URL": ("https://user:pa55word@host/x", ("pa55word",)),
    "api_key assignment": ("api_key=sk-proj-" + "Q" * 24, ("Q" * 24,)),
    "Bearer JWT": ("Authorization: Bearer " + ".".join(JWT_PARTS), JWT_PARTS),
    "AWS access key id": ("AKIA" + "IOSFODNN7EXAMPL3", ("IOSFODNN7EXAMPL3",)),
    "GitHub token": ("ghp_" + "Z" * 36, ("Z" * 36,)),
    "Slack token": ("xoxb-" + "1234567890-0987654321-" + "W" * 24, ("1234567890-0987654321", "W" * 24)),
}
ALL_SECRETS = " ".join(text for text, _ in SHAPES.values())
LEAKS = [part for _, parts in SHAPES.values() for part in parts]


def secret_error(kind: type[Exception] = ValueError, where: str = "") -> Exception:
    """An exception carrying every secret shape: in its message, its notes and its cause."""
    try:
        raise ConnectionError(f"cause {ALL_SECRETS}")
    except ConnectionError as cause:
        error = kind(f"request failed{where}: {ALL_SECRETS}")
        error.__cause__ = cause
    error.add_note(f"while calling {SHAPES['password in a URL'][0]} with {SHAPES['GitHub token'][0]}")
    return error


def span_texts(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """Every piece of text a span exports: name, attributes, events and their attributes, status."""
    texts: list[str] = []
    for span in spans:
        texts += [span.name, span.status.description or "", *map(str, (span.attributes or {}).values())]
        for event in span.events:
            texts += [event.name, *map(str, (event.attributes or {}).values())]
    return texts


def assert_nothing_leaks(texts: list[str]) -> None:
    for text in texts:
        for part in LEAKS:
            assert part not in text, f"{part!r} leaked in {text!r}"


def test_every_secret_shape_is_masked_by_scrub() -> None:
    """The shapes the span tests use are the ones redaction knows (a premise of those tests)."""
    assert_nothing_leaks([scrub(ALL_SECRETS)])


# --- logs ------------------------------------------------------------------------------------

LOGGER = "tests.redaction_egress"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", format="json", stream=stream, logger=LOGGER)
    yield stream
    logging.getLogger(LOGGER).removeHandler(handler)


def test_a_logged_traceback_masks_the_message_the_cause_and_the_notes(lines: io.StringIO) -> None:
    try:
        raise secret_error()
    except ValueError:
        get_logger(LOGGER).exception("failed")
    record = json.loads(lines.getvalue())
    assert "while calling https://user:***@host/x" in record["exception"]
    assert_nothing_leaks([lines.getvalue()])


@pytest.mark.parametrize("name", ["session_id", "sessionId", "Session-Id", "sessionid", "JSESSIONID", "PHPSESSID", "user_session_id", "session_key"])
def test_a_field_named_as_a_web_session_id_is_a_secret(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", ["session.id", "workflow.session_id", "session", "session_ids", "session_count", "max_tokens", "tokens_used"])
def test_our_session_id_attributes_and_counts_are_not_secrets(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.anyio
async def test_a_user_session_id_is_masked_but_the_runs_own_session_id_is_kept(lines: io.StringIO) -> None:
    """A `session_id` in a log call's fields, its `extra=` or its text is a web session
    credential; the run's session id (`RunContext(session_id=...)`) that the library puts on
    every record is an identifier, and stays."""

    def step(x: int) -> int:
        get_logger(LOGGER).info("login session_id=abc123secret ok", user="bob")
        get_logger(LOGGER).info("login", session_id="abc123secret", sessionId="abc123secret")
        logging.getLogger(LOGGER).info("plain", extra={"session_id": "abc123secret"})
        get_logger(LOGGER).info("url", url="https://shop/cart;jsessionid=abc123secret?x=1&PHPSESSID=abc123secret")
        get_logger(LOGGER).info("in step")
        return x

    await compile(node(step)).run(1, context=RunContext(session_id="chat-42"))
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert "abc123secret" not in lines.getvalue()
    assert records[0]["msg"] == "login session_id=*** ok" and records[0]["user"] == "bob"
    assert records[1]["session_id"] == records[1]["sessionId"] == records[2]["session_id"] == "***"
    assert records[4]["session_id"] == "chat-42"


COMMAND_LINES = [
    ("curl -s -u admin:hunter2pass https://api.example.com/x", "curl -s -u admin:*** https://api.example.com/x"),
    ("curl --user admin:hunter2pass https://x", "curl --user admin:*** https://x"),
    ("curl --user=admin:hunter2pass https://x", "curl --user=admin:*** https://x"),
    ("curl -x proxy:3128 -U bob:hunter2pass https://x", "curl -x proxy:3128 -U bob:*** https://x"),
    ("mytool --password hunter2pass --verbose", "mytool --password *** --verbose"),
    ("mytool --password 'hunter2 pass' -v", "mytool --password '***' -v"),
    ("mytool --db-password hunter2pass", "mytool --db-password ***"),
    ("gh --token hunter2pass", "gh --token ***"),
    ("cli --api-key hunter2pass --model x", "cli --api-key *** --model x"),
    ("cli --client-secret hunter2pass", "cli --client-secret ***"),
    ("curl -H 'Cookie: sid=hunter2pass; theme=dark' https://x", "curl -H 'Cookie: ***' https://x"),
    ("Authorization: Token hunter2pass", "Authorization: Token ***"),
]


@pytest.mark.parametrize(("line", "masked"), COMMAND_LINES, ids=[line for line, _ in COMMAND_LINES])
def test_credentials_on_command_lines_are_masked(line: str, masked: str) -> None:
    assert scrub(line) == masked


KEPT = [
    "llm --max-tokens 5 --temperature 0.2",
    "max_tokens=5 tokens_used=12 prompt_tokens=3",
    "ssh -p 2222 host",
    "sort -u names.txt",
    "curl -u admin https://x",  # no password given: curl asks for it
    "docker login --password-stdin -u bob",
    "psql --password-file ~/.pgpass",
    "mytool --no-password --verbose",
    "span attributes: session.id=chat-42 workflow.id=wf",
    "authorization: denied",
    "authorization: required because of the policy",
    "docker run -u 1000:1000 image",  # uid:gid
]


@pytest.mark.parametrize("line", KEPT)
def test_look_alikes_on_command_lines_are_kept(line: str) -> None:
    assert scrub(line) == line

"""Secrets never leave the process through telemetry: log lines (secret fields by name and
values by shape, in fields, messages, tracebacks and payloads of any type; session ids;
command-line credentials), span exception events and statuses, export warnings, durable
journals, the CLI and devtools; our own identifiers stay readable."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import FakeClock, FallbackError, Hook, NodeInfo, RunContext, compile, get_logger, node, trace_operation
from tta_dev_primitives.observability import TracingHook, add_redaction, redact, scrub, secret_name

LOGGER = "tests.redaction"

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


def inc(x: int) -> int:
    return x + 1


def test_every_secret_shape_is_masked_by_scrub() -> None:
    """The shapes the span tests use are the ones redaction knows (a premise of those tests)."""
    assert_nothing_leaks([scrub(ALL_SECRETS)])


# -- spans ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_failing_nodes_exception_event_and_status_are_masked_and_keep_their_notes(
    traced: tuple[TracingHook, InMemorySpanExporter],
) -> None:
    hook, exporter = traced

    async def boom(x: int) -> int:
        raise secret_error()

    with pytest.raises(ValueError) as raised:
        await compile(node(inc, name="inc") >> node(boom, name="boom")).with_hooks(hook).run(1, context=RunContext(session_id="chat-42"))
    assert "pa55word" in str(raised.value)  # the caller's exception itself is untouched
    spans = exporter.get_finished_spans()
    assert_nothing_leaks(span_texts(spans))
    span = next(s for s in spans if s.name == "boom")
    assert (span.attributes or {})["session.id"] == "chat-42"  # our own identifier is not a secret
    assert span.status.description is not None and span.status.description.startswith("ValueError: request failed: ")
    (event,) = span.events
    attributes = event.attributes or {}
    assert event.name == "exception" and attributes["exception.type"] == "ValueError"
    message, stacktrace = str(attributes["exception.message"]), str(attributes["exception.stacktrace"])
    assert message.startswith("request failed: https://user:***@host/x") and "Bearer ***" in message
    assert "while calling https://user:***@host/x" in message and "while calling https://user:***@host/x" in stacktrace  # its note
    assert "Traceback (most recent call last)" in stacktrace and "ConnectionError: cause" in stacktrace  # the cause too
    # the executor labels the failing step as the error leaves the sequence: on the sequence's span
    sequence = next(s for s in spans if s.name == "inc >> boom")
    outer = str(((sequence.events[0].attributes) or {})["exception.message"])
    assert "in step 1 'boom'" in outer and "in step 1 'boom'" in (sequence.status.description or "")


@pytest.mark.anyio
async def test_retries_and_fallbacks_of_secret_bearing_errors_leak_nothing(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced

    async def flaky(x: int) -> int:
        raise secret_error(ConnectionError, " (flaky)")

    async def backup(x: int) -> int:
        raise secret_error(RuntimeError, " (backup)")

    plan = compile(node(flaky, name="flaky").retry(max_attempts=2, clock=FakeClock()).fallback(node(backup, name="backup")))
    with pytest.raises(FallbackError):  # a group: both routes' errors, in the stack trace too
        await plan.with_hooks(hook).run(1)
    spans = exporter.get_finished_spans()
    events = {e.name for s in spans for e in s.events}
    assert {"retry", "fallback", "exception"} <= events
    group = next(s for s in spans if s.name == "retry(flaky) ?? backup").events[-1].attributes or {}
    assert "RuntimeError: request failed (backup): https://user:***@host/x" in str(group["exception.stacktrace"])
    assert_nothing_leaks(span_texts(spans))


@pytest.fixture
def operation_spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """`trace_operation`'s global tracer, reading into an in-memory exporter."""
    from opentelemetry import trace

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer", lambda name, *args, **kwargs: provider.get_tracer(name))
    return exporter


@pytest.mark.anyio
async def test_a_trace_operation_span_masks_its_exception(operation_spans: InMemorySpanExporter) -> None:
    @trace_operation(span_name="async_op")
    async def async_op() -> None:
        raise secret_error()

    @trace_operation(span_name="sync_op")
    def sync_op() -> None:
        raise secret_error(KeyError)

    with pytest.raises(ValueError):
        await async_op()
    with pytest.raises(KeyError):
        sync_op()
    spans = operation_spans.get_finished_spans()
    assert sorted(s.name for s in spans) == ["async_op", "sync_op"]
    assert_nothing_leaks(span_texts(spans))
    for span in spans:
        assert not span.status.is_ok and [e.name for e in span.events] == ["exception"]
        assert "while calling https://user:***@host/x" in str((span.events[0].attributes or {})["exception.stacktrace"])


def test_an_exception_whose_str_fails_is_still_recorded(operation_spans: InMemorySpanExporter) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    @trace_operation(span_name="op")
    def op() -> None:
        raise Unprintable()

    with pytest.raises(Unprintable):
        op()
    (span,) = operation_spans.get_finished_spans()
    assert [e.name for e in span.events] == ["exception"] and not span.status.is_ok


# -- export warnings --------------------------------------------------------------------------


def test_export_failure_warnings_mask_the_endpoint_and_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    from tta_dev_primitives.observability._export import guarded_batch_processor

    class Refused(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            raise ConnectionError(f"POST https://otel:c0llect0r-pw@collector/v1/traces refused: {ALL_SECRETS}")

    provider = TracerProvider()
    endpoint = "https://otel:c0llect0r-pw@collector"
    provider.add_span_processor(guarded_batch_processor(Refused(), endpoint, max_queue_size=16, export_timeout_s=1))
    with caplog.at_level(logging.INFO, logger="tta_dev_primitives.observability"):
        provider.get_tracer("t").start_span("s").end()
        provider.force_flush()
    provider.shutdown()
    messages = [r.getMessage() for r in caplog.records if r.name == "tta_dev_primitives.observability"]
    assert messages and "span export to https://otel:***@collector is failing" in messages[0]
    assert_nothing_leaks(messages)
    assert not any("c0llect0r-pw" in m for m in messages)


# -- logs -------------------------------------------------------------------------------------


SECRET = "hunter2-secret"


@dataclasses.dataclass
class Login:
    user: str
    password: str


@attrs.define
class Client:
    base_url: str
    api_key: str


class Settings:
    def __init__(self) -> None:
        self.region = "eu"
        self.secret_key = "hunter2-secret"


# field name or payload -> the value that must not appear in the log line
CASES: list[tuple[str, dict[str, object]]] = [
    ("password", {"password": SECRET}),
    ("token", {"token": SECRET}),
    ("api_key", {"api_key": SECRET}),
    ("authorization", {"authorization": SECRET}),
    ("cookie", {"cookie": SECRET}),
    ("secret", {"secret": SECRET}),
    ("client_secret", {"client_secret": SECRET}),
    ("refresh_token", {"refresh_token": SECRET}),
    ("x-api-key", {"headers": {"x-api-key": SECRET}}),
    ("X-Auth-Token", {"headers": {"X-Auth-Token": SECRET}}),
    ("accessToken", {"accessToken": SECRET}),
    ("aws_secret_access_key", {"aws_secret_access_key": SECRET}),
    ("secret_key", {"secret_key": SECRET}),
    ("private_key", {"private_key": SECRET}),
    ("credentials", {"credentials": {"user": "bob", "pw": SECRET}}),
    ("Set-Cookie", {"headers": {"Set-Cookie": f"session={SECRET}"}}),
    ("Proxy-Authorization", {"headers": {"Proxy-Authorization": SECRET}}),
    ("header pairs (str)", {"headers": [("Authorization", SECRET), ("Accept", "json")]}),
    ("header pairs (bytes)", {"headers": [(b"x-api-key", SECRET.encode()), (b"accept", b"json")]}),
    ("dataclass", {"login": Login("bob", SECRET)}),
    ("attrs class", {"client": Client("https://api", SECRET)}),
    ("plain object", {"settings": Settings()}),
    ("URL credentials", {"url": f"postgres://bob:{SECRET}@db:5432/app"}),
    ("URL query", {"url": f"https://api.example.com/v1?q=1&api_key={SECRET}"}),
    ("URL password, no user", {"url": f"redis://:{SECRET}@cache:6379/0"}),
    ("header in text", {"note": f"curl -H 'x-api-key: {SECRET}' https://api"}),
    ("quoted value with spaces", {"note": f"Login(user='bob', password='correct horse {SECRET}')"}),
    ("bearer token in text", {"note": f"sent Authorization: Bearer {SECRET}"}),
    ("sk- key in text", {"note": "key sk-proj-" + "a" * 32 + " used"}),
    ("JWT in text", {"note": "id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl"}),
]


def logged(stream: io.StringIO) -> str:
    return stream.getvalue()


@pytest.mark.parametrize(("shape", "fields"), CASES, ids=[c[0] for c in CASES])
def test_secrets_never_reach_the_log(lines: io.StringIO, shape: str, fields: dict[str, object]) -> None:
    get_logger(LOGGER).info("calling the api", **fields)
    text = logged(lines)
    record = json.loads(text)  # still one valid JSON object
    assert record["msg"] == "calling the api"
    for leaked in (SECRET, "a" * 32, "c2lnbmF0dXJlLXZhbHVl"):
        assert leaked not in text, f"{shape} leaked: {text}"
    assert "***" in text


def test_non_secret_data_survives(lines: io.StringIO) -> None:
    get_logger(LOGGER).info(
        "usage", tokens_used=12, max_tokens=100, prompt_tokens=5, model="gpt-4o", user="bob",
        url="https://api.example.com/v1/chat?stream=true",
    )
    record = json.loads(logged(lines))
    assert record["tokens_used"] == 12 and record["max_tokens"] == 100 and record["prompt_tokens"] == 5
    assert record["user"] == "bob"  # a session_id field is a web session's credential: see test_a_field_named_as_a_web_session_id_is_a_secret
    assert record["url"] == "https://api.example.com/v1/chat?stream=true"


def test_secrets_in_messages_and_plain_logging_extras_are_masked(lines: io.StringIO) -> None:
    logging.getLogger(LOGGER).warning("retrying https://bob:%s@host/x", SECRET, extra={"api_key": SECRET})
    assert SECRET not in logged(lines)


def test_users_can_add_fields_and_patterns(lines: io.StringIO) -> None:
    add_redaction(fields=["tenant-pin"], patterns=[r"ACME-\d{6}"])
    get_logger(LOGGER).info("x", tenantPin="1234", note="voucher ACME-123456 applied")
    text = logged(lines)
    assert "1234" not in text and "ACME-123456" not in text


def test_secrets_are_redacted(log_stream: io.StringIO) -> None:
    logger = get_logger("tests.obs.secrets")
    logger.info("calling api", api_key="sk-123", headers={"Authorization": "Bearer x", "accept": "json"}, password="p", github_token="t", user="ada")
    record = json.loads(log_stream.getvalue().splitlines()[-1])
    assert record["api_key"] == "***" and record["password"] == "***" and record["github_token"] == "***"
    assert record["headers"] == {"Authorization": "***", "accept": "json"} and record["user"] == "ada"
    assert redact({"nested": [{"token": "x"}]}) == {"nested": [{"token": "***"}]}


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


# -- what a durable journal keeps of a failure ------------------------------------------------


@pytest.mark.anyio
async def test_a_failed_durable_runs_journaled_error_is_masked() -> None:
    from tta_dev_primitives import MemoryJournal, compensated, saga

    def leak(x: int) -> int:
        raise secret_error()

    journal = MemoryJournal()
    with pytest.raises(ValueError):
        await compile(node(inc) >> node(leak)).run(1, run_id="plain", journal=journal)  # type: ignore[attr-defined]
    with pytest.raises(Exception):
        await compile(saga(compensated(node(inc), lambda _: None) >> node(leak))).run(1, run_id="saga", journal=journal)  # type: ignore[attr-defined]
    kept: list[str] = []
    for run_id in ("plain", "saga"):
        stored = await journal.load(run_id)
        assert stored is not None
        kept += [stored.error or "", *(step.payload.decode("utf-8", "replace") for step in stored.steps)]
    assert any("request failed" in text for text in kept)  # the failure is kept, masked
    assert_nothing_leaks(kept)


# -- handlers that are not ours, and the shapes they must not see -----------------------------


class Collect(logging.Handler):
    """An application's own handler, with the standard formatter (not one of ours)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def plain() -> Iterator[Collect]:
    handler = Collect()
    loggers = [logging.getLogger(name) for name in (LOGGER, "tta_dev_primitives.hooks")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.anyio
async def test_a_plain_handler_never_sees_a_secret_in_a_message_a_traceback_or_a_library_warning(plain: Collect) -> None:
    log = get_logger(LOGGER)
    log.info(f"connecting with {ALL_SECRETS}")
    try:
        raise secret_error()
    except ValueError:
        log.exception("failed")

    class Exporter(Hook):
        def on_node_start(self, node: NodeInfo, ctx: RunContext) -> None:
            raise secret_error(ConnectionError)

    await compile(node(inc)).with_hooks(Exporter()).run(1)
    text = "\n".join(plain.lines)
    assert "request failed" in text and "Exporter.on_node_start raised" in text and "Traceback" in text
    assert_nothing_leaks(plain.lines)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql://app:Ab/cd+ef9@db.internal/app", "Ab/cd+ef9"),  # a password holding a slash
        ("https://admin:p@ss@api.example.com/", "p@ss"),  # and an @
        ("GET /login?next=https%3A%2F%2Fadmin%3Ahunter2pass%40db.example.com%2F", "hunter2pass"),  # percent-encoded
        ("next=%2Fhook%3Fgh%3Dghp_" + "Z" * 36, "Z" * 36),
        ("S3Config(secret_access_key='wJalrXUtnFEMIK7MDENG')", "wJalrXUtnFEMIK7MDENG"),
        ("{'secret_key': 'hunter2pass'}", "hunter2pass"),
        ("SECRET_KEY=hunter2pass", "hunter2pass"),
        ("{'private_key': 'hunter2pass'}", "hunter2pass"),
        ('{"body": "{\\"password\\": \\"hunter2pass\\"}"}', "hunter2pass"),  # JSON inside JSON
        ("curl -uadmin:hunter2pass https://x", "hunter2pass"),
    ],
)
def test_secret_shapes_written_other_ways_are_masked(text: str, secret: str) -> None:
    assert secret not in scrub(text)


@pytest.mark.parametrize("text", ["http://host:8080/a@b.example", "see https://example.com/path?x=1&y=2", "100%25 done, 50% left"])
def test_urls_and_percent_signs_without_secrets_are_kept(text: str) -> None:
    assert scrub(text) == text


def test_a_secret_shaped_mapping_key_is_masked() -> None:
    from tta_dev_primitives.observability import redact

    assert "hunter2pass" not in json.dumps(redact({"postgres://admin:hunter2pass@db/app": 5}))


def test_an_extra_field_named_by_a_secret_is_masked_in_json_logs(lines: io.StringIO) -> None:
    logging.getLogger(LOGGER).info("plain", extra={"https://u:hunter2pass@h": 1})
    assert "hunter2pass" not in lines.getvalue()


def test_an_exporters_error_quoting_the_endpoint_without_its_scheme_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    from tta_dev_primitives.observability._export import _Guard

    guard = _Guard("http://otel:c0llect0rPW@127.0.0.1:9", 1.0, lambda: 0.0)
    with caplog.at_level(logging.WARNING):
        guard.failed("Failed to export traces to otel:c0llect0rPW@127.0.0.1:9, error code: UNAVAILABLE")
    assert caplog.messages and "c0llect0rPW" not in caplog.text


def test_the_cli_masks_a_failure_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tta_dev_primitives.cli import main

    (tmp_path / "leaky_flow.py").write_text(
        "from tta_dev_primitives import node\n\n\ndef connect(x: int) -> int:\n"
        f"    raise ConnectionError({ALL_SECRETS!r})\n\n\nflow = node(connect)\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", "leaky_flow.py:flow", "--input", "1"]) == 1
    err = capsys.readouterr().err
    assert "ConnectionError" in err
    assert_nothing_leaks([err])


@pytest.mark.anyio
async def test_devtools_explain_masks_a_constants_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.durable._run import outline
    from tta_dev_primitives.mcp import devtools

    (tmp_path / "const_flow.py").write_text(
        "from tta_dev_primitives import const, node\n\n\ndef host(dsn: str) -> str:\n    return dsn.split('@')[-1]\n\n\n"
        "flow = const('postgresql://app:hunter2pass@db.internal/app') >> node(host)\n"
    )
    monkeypatch.chdir(tmp_path)
    text = await devtools.explain_plan(devtools.PlanTarget("const_flow.py:flow"))
    assert "const" in text and "hunter2pass" not in text
    from tta_dev_primitives import compile, const

    assert "hunter2pass" not in outline(compile(const("postgresql://app:hunter2pass@db/app") >> node(len)).root)  # journaled header


def test_a_json_object_in_a_string_is_masked_by_field_name_and_stays_a_string() -> None:
    """A tool call's arguments are JSON text: a field named like a secret is masked as it is in
    the parsed arguments; JSON without one keeps its exact form."""
    from tta_dev_primitives.observability import redact

    masked = redact({"arguments": '{"user": "ann", "auth": {"password": "p", "note": "x"}}'})
    assert masked == {"arguments": '{"user": "ann", "auth": "***"}'}
    assert redact('{"input":  "Oslo"}') == '{"input":  "Oslo"}'  # nothing secret: untouched, spacing kept
    assert redact('{"k": "Bearer abcdefghijklmnopqrstuv"}') == '{"k": "Bearer ***"}'  # shapes as before
    assert redact("{not json}") == "{not json}"

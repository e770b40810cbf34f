"""Log redaction covers the common secret shapes, and a log call never raises."""

from __future__ import annotations

import dataclasses
import io
import json
import logging

import attrs
import pytest

from tta_dev_primitives import get_logger
from tta_dev_primitives.observability import add_redaction

LOGGER = "tests.redaction"




def logged(stream: io.StringIO) -> str:
    return stream.getvalue()


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


SECRET = "hunter2-secret"
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
    assert record["user"] == "bob"  # a session_id field is a web session's credential: see test_redaction_egress
    assert record["url"] == "https://api.example.com/v1/chat?stream=true"


def test_secrets_in_messages_and_plain_logging_extras_are_masked(lines: io.StringIO) -> None:
    logging.getLogger(LOGGER).warning("retrying https://bob:%s@host/x", SECRET, extra={"api_key": SECRET})
    assert SECRET not in logged(lines)


def test_users_can_add_fields_and_patterns(lines: io.StringIO) -> None:
    add_redaction(fields=["tenant-pin"], patterns=[r"ACME-\d{6}"])
    get_logger(LOGGER).info("x", tenantPin="1234", note="voucher ACME-123456 applied")
    text = logged(lines)
    assert "1234" not in text and "ACME-123456" not in text


# --- item 16: logging never raises ---


def test_a_cyclic_payload_is_logged_not_raised(lines: io.StringIO) -> None:
    cycle: dict[str, object] = {"name": "loop"}
    cycle["self"] = cycle
    items: list[object] = [1]
    items.append(items)
    get_logger(LOGGER).info("cyclic", payload=cycle, items=items)
    record = json.loads(logged(lines))
    assert record["payload"] == {"name": "loop", "self": "<cycle>"} and record["items"] == [1, "<cycle>"]


def test_a_very_deep_payload_is_cut_not_raised(lines: io.StringIO) -> None:
    deep: list[object] = []
    current = deep
    for _ in range(5_000):
        inner: list[object] = []
        current.append(inner)
        current = inner
    get_logger(LOGGER).info("deep", payload=deep)
    assert "<depth limit>" in logged(lines)


def test_objects_that_fail_to_render_are_placeholders(lines: io.StringIO) -> None:
    class Broken:
        __slots__ = ()

        def __str__(self) -> str:
            raise RuntimeError("no text")

        __repr__ = __str__

    get_logger(LOGGER).info("broken", thing=Broken())
    assert "<unloggable Broken>" in logged(lines)


@pytest.mark.anyio
async def test_a_runs_session_id_is_on_its_log_lines_and_a_callers_own_value_wins(lines: io.StringIO) -> None:
    from tta_dev_primitives import RunContext, compile, node

    def step(x: int) -> int:
        get_logger(LOGGER).info("in step")
        logging.getLogger(LOGGER).info("plain", extra={"workflow_id": "mine"})
        return x

    await compile(node(step)).run(1, context=RunContext(workflow_id="wf", session_id="chat-42"))
    first, second = (json.loads(line) for line in logged(lines).splitlines())
    assert (first["workflow_id"], first["session_id"]) == ("wf", "chat-42") and first["correlation_id"]
    assert (second["workflow_id"], second["session_id"]) == ("mine", "chat-42")

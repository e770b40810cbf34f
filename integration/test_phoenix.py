"""Traces in a real Arize Phoenix: a composed workflow and an agent are exported over OTLP (HTTP
and gRPC) and read back through Phoenix's REST API; Phoenix's UI shows the agent's trace in
headless Chromium; and stopping Phoenix in the middle of a run costs one warning and no run.

Phoenix (`arize-phoenix` from PyPI, in a venv of its own: see `phoenix_backend.py`) runs on 127.0.0.1
with telemetry off and its own working directory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import FakeChatModel, Node, Plan, RunContext, ToolCall, agent, compile, node, tool
from tta_dev_primitives.observability import TracingHook, configure_tracing

from phoenix_backend import Phoenix, phoenix_server
from servers import poll, require_binary

ROOT = Path(__file__).parent.parent
SCREENSHOT = ROOT / "docs" / "images" / "phoenix-agent-trace.png"
MESSAGES_SCREENSHOT = ROOT / "docs" / "images" / "phoenix-agent-messages.png"
TOOLS_SCREENSHOT = ROOT / "docs" / "images" / "phoenix-agent-tools.png"
ANSWER = "It is sunny in Paris, home to 2100000 people."
QUESTIONS = ["ada: how does a plan relate to a node?", "bob: hello there"]


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phoenix]:
    with phoenix_server(tmp_path_factory.mktemp("phoenix")) as server:
        yield server


def _quickstart() -> Plan[str, object]:
    """The quickstart example's workflow: parse, a combine of three branches (one a map), a branch."""
    from tta_dev_primitives.cli import load_target

    pipeline = load_target(f"{ROOT / 'examples' / 'quickstart.py'}:pipeline")
    assert isinstance(pipeline, Node)
    return compile(pipeline)


def _tracing(phoenix: Phoenix, protocol: str, project: str, **options: object) -> tuple[TracingHook, InMemorySpanExporter]:
    """A tracing hook sending to Phoenix over `protocol`, and an in-memory copy of what it sent."""
    sent = InMemorySpanExporter()
    endpoint = phoenix.url if protocol == "http" else phoenix.grpc
    hook = configure_tracing(
        "integration", otlp_endpoint=endpoint, protocol=protocol, exporter=sent, project=project,  # type: ignore[arg-type]
        set_global=False, install=False, **options,  # type: ignore[arg-type]
    )
    assert hook is not None
    return hook, sent


def _flush(hook: TracingHook) -> None:
    hook.flush()
    hook.shutdown()


def _tree(spans: list[dict[str, object]]) -> set[tuple[str, str | None]]:
    """(span name, parent span name) for spans as Phoenix returns them."""
    names = {span["context"]["span_id"]: span["name"] for span in spans}  # type: ignore[index]
    return {(str(s["name"]), names.get(s["parent_id"]) if s["parent_id"] else None) for s in spans}  # type: ignore[misc]


def _sent_tree(spans: list[ReadableSpan]) -> set[tuple[str, str | None]]:
    names = {s.context.span_id: s.name for s in spans}
    return {(s.name, names[s.parent.span_id] if s.parent else None) for s in spans}


def _trace_id(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_a_workflow_arrives_as_one_trace_per_run_with_its_tree_and_correlation_ids(phoenix: Phoenix, protocol: str) -> None:
    project = f"workflow-{protocol}"
    hook, sent = _tracing(phoenix, protocol, project)
    plan = _quickstart().with_hooks(hook)
    for i, question in enumerate(QUESTIONS):
        plan.run_sync(question, context=RunContext(correlation_id=f"{protocol}-run-{i}", workflow_id="quickstart"))
    _flush(hook)

    roots = poll("both runs' root spans", lambda: (r if len(r := phoenix.spans(project, parent_id="null")) >= 2 else None))
    assert sorted(str(r["name"]) for r in roots) == ["qa", "qa"]  # one trace per run, rooted at the workflow
    by_trace = {_trace_id(s): [] for s in sent.get_finished_spans()}
    for span in sent.get_finished_spans():
        by_trace[_trace_id(span)].append(span)
    assert {r["context"]["trace_id"] for r in roots} == set(by_trace)  # type: ignore[index]
    trees: set[tuple[str, str | None]] = set()
    for trace_id, ours in by_trace.items():
        theirs = phoenix.trace(project, trace_id, count=len(ours))
        assert len(theirs) == len(ours)
        assert _tree(theirs) == _sent_tree(ours)  # the same tree, span for span
        assert {("parse", "qa"), ("qa", None)} <= _tree(theirs)
        trees |= _tree(theirs)
        correlation = {s["attributes"]["workflow.correlation_id"] for s in theirs}  # type: ignore[index]
        assert len(correlation) == 1 and {s["attributes"]["workflow.id"] for s in theirs} == {"quickstart"}  # type: ignore[index]
        assert {s["span_kind"] for s in theirs} == {"CHAIN"}
    assert ("shorten", "qa") in trees  # the map's items (the first question retrieves) under the nearest span: the map is structure
    # Phoenix finds a run by its correlation id
    found = phoenix.spans(project, attribute=f'workflow.correlation_id:"{protocol}-run-1"')
    assert found and {s["context"]["trace_id"] for s in found} == {_trace_id(s) for s in sent.get_finished_spans() if (s.attributes or {}).get("workflow.correlation_id") == f"{protocol}-run-1"}  # type: ignore[index]


def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def population(city: str) -> int:
    """How many people live in a city."""
    return 2_100_000


def _run_agent(phoenix: Phoenix, protocol: str, project: str) -> tuple[str, list[dict[str, object]]]:
    """A two-turn agent (two tool calls, then the answer) traced into Phoenix with content
    recorded; its trace id and the spans Phoenix has of it."""
    hook, sent = _tracing(phoenix, protocol, project, record_content=True)
    calls = [ToolCall("call_1", "weather", '{"input": "Paris"}'), ToolCall("call_2", "population", '{"input": "Paris"}')]
    model = FakeChatModel("fake-small", script=[calls, ANSWER])
    bot = agent(model, [tool(weather), tool(population)], max_turns=3, name="weather bot", system="Answer in one sentence.", temperature=0.2)
    answer = compile(bot).with_hooks(hook).run_sync("Weather and population of Paris?", context=RunContext(session_id=f"session-{protocol}"))
    assert answer == ANSWER
    _flush(hook)
    ours = list(sent.get_finished_spans())
    trace_id = _trace_id(ours[0])
    return trace_id, phoenix.trace(project, trace_id, count=len(ours))


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_an_agent_shows_as_agent_llm_and_tool_spans_with_tokens_and_content(phoenix: Phoenix, protocol: str) -> None:
    project = f"agent-{protocol}"
    trace_id, spans = _run_agent(phoenix, protocol, project)
    root = next(s for s in spans if s["parent_id"] is None)
    assert root["name"] == "weather bot" and root["span_kind"] == "AGENT" and root["status_code"] == "OK"
    tools = [s for s in spans if s["span_kind"] == "TOOL"]
    assert sorted((t["name"], t["attributes"]["tool.name"]) for t in tools) == [("population", "population"), ("weather", "weather")]  # type: ignore[index]
    described = {t["name"]: t["attributes"]["tool.description"] for t in tools}  # type: ignore[index]
    assert described == {"weather": "The weather in a city.", "population": "How many people live in a city."}
    assert all(t["attributes"]["tool.parameters.required"] == ["input"] for t in tools)  # type: ignore[index]  # Phoenix unfolds the JSON Schema
    assert {s["span_kind"] for s in spans} == {"AGENT", "LLM", "TOOL"}  # no bookkeeping, loop or guard spans
    assert len(spans) == 5  # the agent, two model calls, two tool calls
    llm = [s for s in spans if s["span_kind"] == "LLM"]
    assert len(llm) == 2  # one model call per turn
    attributes = [s["attributes"] for s in llm]
    assert all(a["llm.model_name"] == "fake-small" and a["llm.token_count.total"] > 0 for a in attributes)  # type: ignore[index, operator]
    traces = {t["trace_id"]: t for t in phoenix.traces(project)}
    assert traces[trace_id]["token_count_total"] == sum(a["llm.token_count.total"] for a in attributes)  # type: ignore[index, misc]
    assert root["attributes"]["input.value"] == "Weather and population of Paris?"  # type: ignore[index]
    assert root["attributes"]["output.value"] == ANSWER  # type: ignore[index]
    assert {s["attributes"]["session.id"] for s in spans} == {f"session-{protocol}"}  # type: ignore[index]
    # the model calls arrive as conversations: OpenInference's messages, settings and tools
    asked, answered = sorted(attributes, key=lambda a: len(str(a["input.value"])))  # type: ignore[index]
    assert (asked["llm.input_messages.0.message.role"], asked["llm.input_messages.1.message.content"]) == ("system", "Weather and population of Paris?")  # type: ignore[index]
    assert asked["llm.output_messages.0.message.tool_calls.1.tool_call.function.name"] == "population"  # type: ignore[index]
    assert answered["llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments"] == '{"input": "Paris"}'  # type: ignore[index]
    assert answered["llm.input_messages.3.message.role"] == "tool" and answered["llm.input_messages.3.message.content"] == "sunny in Paris"  # type: ignore[index]
    assert answered["llm.input_messages.4.message.tool_call_id"] == "call_2"  # type: ignore[index]
    assert answered["llm.output_messages.0.message.content"] == ANSWER  # type: ignore[index]
    assert [a["gen_ai.response.finish_reasons"] for a in (asked, answered)] == [["tool_calls"], ["stop"]]  # type: ignore[index]
    for each in (asked, answered):
        assert json.loads(each["llm.invocation_parameters"]) == {"model": "fake-small", "temperature": 0.2}  # type: ignore[index, arg-type]
        tools_offered = [json.loads(each[f"llm.tools.{i}.tool.json_schema"])["function"]["name"] for i in (0, 1)]  # type: ignore[index, arg-type]
        assert tools_offered == ["weather", "population"]


def _docs_agent(phoenix: Phoenix, project: str) -> str:
    """Run the observability guide's Phoenix program (the block under "The agent in the
    screenshots") against `phoenix`, as a script of its own; its trace id."""
    page = (ROOT / "docs" / "guides" / "observability.md").read_text()
    found = re.search(r"```python\n(.*?)```", page.split("### The agent in the screenshots", 1)[1], re.S)
    assert found, "the observability guide has no program under 'The agent in the screenshots'"
    env = {**os.environ, "PHOENIX_COLLECTOR_ENDPOINT": phoenix.url, "PHOENIX_PROJECT_NAME": project}
    done = subprocess.run([sys.executable, "-c", found.group(1)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == ANSWER + "\n", done.stderr
    assert "TelemetryWarning" not in done.stderr, done.stderr  # every span was sent
    spans = poll(f"the guide's agent trace in project {project!r}", lambda: (s if len(s := phoenix.spans(project)) >= 5 else None))
    assert len(spans) == 5  # one trace: the agent, two model calls, two tool calls
    trace_ids = {span["context"]["trace_id"] for span in spans}  # type: ignore[index]
    assert len(trace_ids) == 1
    return str(trace_ids.pop())


@contextlib.contextmanager
def _trace_page(phoenix: Phoenix, trace_id: str, height: int = 900) -> Iterator[Any]:
    """Phoenix's trace view of `trace_id` in Debian's headless Chromium (through Playwright),
    once the agent's span tree is shown."""
    chromium = require_binary("chromium", "chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": height})
            page.goto(f"{phoenix.url}/redirects/traces/{trace_id}")
            page.wait_for_url(f"**/traces/{trace_id}**", timeout=30_000)
            page.get_by_text("weather bot").first.wait_for(timeout=30_000)
            page.get_by_role("button", name=re.compile(r"^tool population")).wait_for(timeout=30_000)  # a tool span in the tree
            page.wait_for_load_state("networkidle")
            yield page
        finally:
            browser.close()


def _keep(shot: Path, into: Path) -> None:
    """With TTA_UPDATE_SCREENSHOTS=1, `shot` replaces the observability guide's image `into`."""
    assert shot.stat().st_size > 10_000
    if os.environ.get("TTA_UPDATE_SCREENSHOTS"):
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, into)


def test_phoenix_shows_the_agent_trace_in_chromium(phoenix: Phoenix, tmp_path: Path) -> None:
    """The trace view of Phoenix's own UI: the agent's span tree, the run OK, the root's
    recorded input and output (docs/images/phoenix-agent-trace.png, of the guide's program)."""
    trace_id = _docs_agent(phoenix, "agent-ui")
    shot = tmp_path / SCREENSHOT.name
    with _trace_page(phoenix, trace_id) as page:
        page.get_by_text(ANSWER).first.wait_for(timeout=30_000)  # the root's recorded output
        page.get_by_text("OK", exact=True).first.wait_for(timeout=30_000)  # the trace's status
        page.screenshot(path=str(shot))
    _keep(shot, SCREENSHOT)


def test_phoenix_shows_a_model_call_as_a_conversation_with_its_settings_and_tools(phoenix: Phoenix, tmp_path: Path) -> None:
    """The second model call selected in Phoenix's UI: its Messages view shows the conversation
    (system, user, the assistant's two tool calls, both tool results) and the reply, with the
    invocation parameters; its Tools view lists both tools' schemas
    (docs/images/phoenix-agent-messages.png and phoenix-agent-tools.png, of the guide's program)."""
    trace_id = _docs_agent(phoenix, "agent-messages")
    messages, tools = tmp_path / MESSAGES_SCREENSHOT.name, tmp_path / TOOLS_SCREENSHOT.name
    with _trace_page(phoenix, trace_id, height=1000) as page:
        page.get_by_role("button", name=re.compile(r"^llm fake-small")).last.click()  # the second turn's call
        page.get_by_role("heading", name="Invocation Params").wait_for(timeout=30_000)
        page.get_by_text("model: fake-small, temperature: 0.2").wait_for(timeout=30_000)
        sent = page.locator("section").filter(has=page.get_by_role("radiogroup", name="Input view")).last  # the Input card
        roles = [h.inner_text() for h in sent.get_by_role("heading", level=3).all()]
        assert roles[:7] == ["Input", "Invocation Params", "system", "user", "assistant", "tool", "tool"], roles
        sent.get_by_text('weather({"input": "Paris"}), population({"input": "Paris"})').first.wait_for(timeout=10_000)  # the tool calls
        sent.get_by_text("sunny in Paris", exact=True).first.wait_for(timeout=10_000)  # the first tool result
        sent.get_by_text("2100000", exact=True).first.wait_for(timeout=10_000)  # the second one
        replied = page.locator("section").filter(has=page.get_by_role("radiogroup", name="Output view")).last  # the Output card
        assert [h.inner_text() for h in replied.get_by_role("heading", level=3).all()] == ["Output", "assistant"]
        replied.get_by_text(ANSWER, exact=True).wait_for(timeout=10_000)  # the reply's message
        page.screenshot(path=str(messages))
        page.get_by_role("radio", name="Tools").click()
        page.get_by_role("heading", name="Tool #2").wait_for(timeout=30_000)
        schemas = " ".join(box.inner_text() for box in page.get_by_role("textbox").all())
        assert '"name": "weather"' in schemas and '"description": "How many people live in a city."' in schemas
        page.screenshot(path=str(tools))
    _keep(messages, MESSAGES_SCREENSHOT)
    _keep(tools, TOOLS_SCREENSHOT)


def test_stopping_phoenix_mid_run_costs_one_warning_per_endpoint_and_no_run(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Phoenix is stopped by a node in the middle of a run: that run and the runs after it return
    their results, each endpoint (HTTP and gRPC) logs one warning in all (the exporters' own
    retry messages are folded into it), and once Phoenix is back the spans arrive again."""
    work = tmp_path / "phoenix"
    protocols = ("http", "grpc")
    with phoenix_server(work) as server:
        hooks = {protocol: _tracing(server, protocol, f"outage-{protocol}", export_timeout_s=3.0)[0] for protocol in protocols}

        def stop_phoenix(x: int) -> int:
            server.process.terminate()
            server.process.wait(timeout=30)
            return x

        inc = node(lambda x: x + 1, name="inc")
        # one plan per endpoint: a trace belongs to one backend project
        steady = {protocol: compile(inc >> inc).with_hooks(hook) for protocol, hook in hooks.items()}
        stopping = compile(inc >> node(stop_phoenix) >> inc).with_hooks(hooks["http"])
        for protocol in protocols:
            assert steady[protocol].run_sync(0) == 2
            hooks[protocol].flush()
            poll(f"spans over {protocol} before the outage", lambda: server.spans(f"outage-{protocol}"))
        with caplog.at_level(logging.INFO):
            assert stopping.run_sync(1) == 3  # Phoenix went away inside this run
            for protocol in protocols:
                assert [steady[protocol].run_sync(i) for i in range(20)] == list(range(2, 22))
                hooks[protocol].flush()
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            endpoints = [r.getMessage().split(" is failing")[0].removeprefix("span export to ") for r in warnings]
            assert sorted(endpoints) == sorted([server.url, server.grpc]), [r.getMessage() for r in warnings]

            # Phoenix comes back on the same ports and data: the next runs' spans arrive
            port, grpc_port = int(server.url.rsplit(":", 1)[1]), int(server.grpc.rsplit(":", 1)[1])
            with phoenix_server(work, port, grpc_port) as again:
                caplog.clear()
                for protocol in protocols:
                    assert steady[protocol].run_sync(100, context=RunContext(correlation_id="after-outage")) == 102
                    _flush(hooks[protocol])
                    project, query = f"outage-{protocol}", 'workflow.correlation_id:"after-outage"'
                    poll(f"spans over {protocol} after the outage", lambda: again.spans(project, attribute=query))
                recovered = [r.getMessage() for r in caplog.records if "recovered" in r.getMessage()]
                assert len(recovered) == 2 and not [r for r in caplog.records if r.levelno >= logging.WARNING]

"""Tracing durable runs: a resumed attempt's root span links to the root span of the run's first
attempt (journaled with the run), and carries the run id and whether it resumes."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import Interrupted, Journal, MemoryJournal, SQLiteJournal, compile, interrupt, node
from tta_dev_primitives.durable._trace import TRACE_KEY
from tta_dev_primitives.observability import TracingHook, configure_tracing

pytestmark = pytest.mark.anyio


class Crash(Exception):
    """Stands for the process dying at a node."""


class Journals:
    """A journal kind; `open()` gives a new journal object on the same store (for SQLite, as a
    process that resumes the run would open the file)."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path = kind, path
        self.memory = MemoryJournal()
        self.opened: list[SQLiteJournal] = []

    def open(self) -> Journal:
        if self.kind == "memory":
            return self.memory
        store = SQLiteJournal(self.path)
        self.opened.append(store)
        return store


@pytest.fixture(params=["memory", "sqlite"])
def journals(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journals]:
    made = Journals(request.param, tmp_path / "journal.db")
    yield made
    for store in made.opened:
        store.close()


def roots(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """The root span of each trace, in the order the traces finished."""
    return [span for span in exporter.get_finished_spans() if span.parent is None]


def crashing_plan(crash_at: set[str]) -> object:
    """a >> b >> c, raising Crash at the nodes named in `crash_at` (each once)."""

    def step(name: str) -> object:
        def run(x: int) -> int:
            if name in crash_at:
                crash_at.discard(name)
                raise Crash(name)
            return x + 1

        return node(run, name=name)

    return compile(step("a") >> step("b") >> step("c"), name="steps")  # type: ignore[operator]


async def journaled_trace(journal: Journal, run_id: str) -> str | None:
    stored = await journal.load(run_id)
    assert stored is not None
    rows = [step.payload.decode() for step in stored.steps if step.key == TRACE_KEY]
    assert len(rows) <= 1
    return rows[0] if rows else None


def traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


async def test_a_resumed_run_links_to_the_root_span_of_its_first_attempt(
    traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals
) -> None:
    hook, exporter = traced
    plan = crashing_plan({"b"}).with_hooks(hook)  # type: ignore[attr-defined]
    with pytest.raises(Crash):
        await plan.run(1, run_id="r1", journal=journals.open())
    assert await plan.run(1, run_id="r1", journal=journals.open()) == 4
    first, resumed = roots(exporter)
    assert first.context is not None and resumed.context is not None
    assert first.context.trace_id != resumed.context.trace_id  # a new trace, linked to the first
    assert not first.links
    assert (first.attributes or {})["workflow.run_id"] == "r1"
    assert (first.attributes or {})["workflow.resumed"] is False
    assert "workflow.resumed_from_trace_id" not in (first.attributes or {})
    (link,) = resumed.links
    assert link.context.trace_id == first.context.trace_id and link.context.span_id == first.context.span_id
    assert dict(link.attributes or {}) == {"workflow.link": "resumed_from", "workflow.run_id": "r1"}
    attributes = resumed.attributes or {}
    assert attributes["workflow.run_id"] == "r1" and attributes["workflow.resumed"] is True
    assert attributes["workflow.resumed_from_trace_id"] == f"{first.context.trace_id:032x}"
    assert await journaled_trace(journals.open(), "r1") == traceparent(first)  # the resume kept the original


async def test_an_interrupted_run_answered_later_links_to_where_it_asked(
    traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals
) -> None:
    hook, exporter = traced
    approve = interrupt(int, bool, name="approve")

    @node
    def double(x: int) -> int:
        return x * 2

    @node
    def say(ok: bool) -> str:
        return "yes" if ok else "no"

    plan = compile(double >> approve >> say).with_hooks(hook)
    outcome = await plan.run(3, run_id="ask", journal=journals.open())
    assert isinstance(outcome, Interrupted)
    assert await plan.resume(outcome.token, True, journal=journals.open()) == "yes"
    asked, answered = roots(exporter)
    assert (asked.attributes or {}).get("workflow.suspended") is True
    (link,) = answered.links
    assert asked.context is not None and link.context.span_id == asked.context.span_id
    assert link.context.trace_id == asked.context.trace_id
    assert (answered.attributes or {})["workflow.resumed"] is True


async def test_a_run_that_fails_at_its_first_node_is_linked_to_as_well(traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals) -> None:
    hook, exporter = traced
    plan = crashing_plan({"a"}).with_hooks(hook)  # type: ignore[attr-defined]
    with pytest.raises(Crash):
        await plan.run(1, run_id="early", journal=journals.open())  # nothing journaled but its trace context
    assert await plan.run(1, run_id="early", journal=journals.open()) == 4
    first, resumed = roots(exporter)
    (link,) = resumed.links
    assert first.context is not None and link.context.span_id == first.context.span_id
    assert (resumed.attributes or {})["workflow.resumed"] is True


async def test_every_later_attempt_links_to_the_first(traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals) -> None:
    hook, exporter = traced
    plan = crashing_plan({"b", "c"}).with_hooks(hook)  # type: ignore[attr-defined]
    for _ in range(2):
        with pytest.raises(Crash):
            await plan.run(1, run_id="r", journal=journals.open())
    assert await plan.run(1, run_id="r", journal=journals.open()) == 4
    first, second, third = roots(exporter)
    assert first.context is not None
    assert [link.context.span_id for link in (*second.links, *third.links)] == [first.context.span_id] * 2


async def test_a_durable_run_without_tracing_journals_no_trace_context(journals: Journals) -> None:
    plan = crashing_plan({"b"})
    with pytest.raises(Crash):
        await plan.run(1, run_id="plain", journal=journals.open())  # type: ignore[attr-defined]
    assert await plan.run(1, run_id="plain", journal=journals.open()) == 4  # type: ignore[attr-defined]
    assert await journaled_trace(journals.open(), "plain") is None
    stored = await journals.open().load("plain")
    assert stored is not None and [step.key for step in stored.steps] == ["1", "2", "3"]  # the steps, nothing else


async def test_the_first_traced_attempt_is_the_one_later_attempts_link_to(
    traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals
) -> None:
    """A run started without tracing (or by an earlier version) and resumed with it: that
    resume is marked resumed, has nothing to link to, and is what the next attempt links to."""
    hook, exporter = traced
    crash_at = {"a", "b", "c"}
    crash_at.discard("a")
    untraced = crashing_plan(crash_at)
    with pytest.raises(Crash):
        await untraced.run(1, run_id="late", journal=journals.open())  # type: ignore[attr-defined]
    traced_plan = untraced.with_hooks(hook)  # type: ignore[attr-defined]
    with pytest.raises(Crash):
        await traced_plan.run(1, run_id="late", journal=journals.open())
    assert await traced_plan.run(1, run_id="late", journal=journals.open()) == 4
    second, third = roots(exporter)
    assert not second.links and (second.attributes or {})["workflow.resumed"] is True
    (link,) = third.links
    assert second.context is not None and link.context.span_id == second.context.span_id


async def test_a_finished_run_run_again_returns_its_result_and_makes_no_spans(
    traced: tuple[TracingHook, InMemorySpanExporter], journals: Journals
) -> None:
    """Its result comes from the journal and no node runs: there is no span to link."""
    hook, exporter = traced
    plan = crashing_plan(set()).with_hooks(hook)  # type: ignore[attr-defined]
    assert await plan.run(1, run_id="done", journal=journals.open()) == 4
    spans = len(exporter.get_finished_spans())
    assert await plan.run(1, run_id="done", journal=journals.open()) == 4
    assert len(exporter.get_finished_spans()) == spans


async def test_with_two_hooks_each_resumed_root_links_to_the_first_hooks_root() -> None:
    """One context is journaled per run: the first hook's root span's. The second hook's
    resumed root links to it too (a trace of the other backend)."""
    exporters = [InMemorySpanExporter(), InMemorySpanExporter()]
    hooks = [configure_tracing("tests", exporter=exporter, set_global=False, install=False) for exporter in exporters]
    assert hooks[0] is not None and hooks[1] is not None
    plan = crashing_plan({"c"}).with_hooks(hooks[0], hooks[1])  # type: ignore[attr-defined]
    journal = MemoryJournal()
    with pytest.raises(Crash):
        await plan.run(1, run_id="two", journal=journal)
    assert await plan.run(1, run_id="two", journal=journal) == 4
    (first, resumed), (_, resumed_too) = roots(exporters[0]), roots(exporters[1])
    assert first.context is not None
    assert [link.context.span_id for link in (*resumed.links, *resumed_too.links)] == [first.context.span_id] * 2
    assert (resumed_too.attributes or {})["workflow.run_id"] == "two"


async def test_a_plan_run_inside_a_durable_node_is_not_the_durable_run(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    """Neither for a hook both plans have, nor for one only the inner plan has."""
    hook, exporter = traced
    inner_exporter = InMemorySpanExporter()
    inner_only = configure_tracing("tests", exporter=inner_exporter, set_global=False, install=False)
    assert inner_only is not None

    @node
    def inner_step(x: int) -> int:
        return x + 1

    inner = compile(inner_step, name="inner").with_hooks(hook, inner_only)
    crash = {"crash"}

    @node
    async def outer_step(x: int) -> int:
        result: int = await inner.run(x)
        if crash:
            crash.clear()
            raise Crash("outer")
        return result

    @node
    def after(x: int) -> int:
        return x * 10

    plan = compile(outer_step >> after, name="outer").with_hooks(hook)
    journal = MemoryJournal()
    with pytest.raises(Crash):
        await plan.run(1, run_id="nested", journal=journal)
    assert await plan.run(1, run_id="nested", journal=journal) == 20
    inner_spans = [span for span in exporter.get_finished_spans() if span.name == "inner_step"]
    inner_spans += inner_exporter.get_finished_spans()
    assert len(inner_spans) == 4
    for span in inner_spans:
        assert "workflow.run_id" not in (span.attributes or {}) and not span.links
    assert [len(root.links) for root in roots(exporter)] == [0, 1]


async def test_a_damaged_trace_row_is_ignored_and_the_run_resumes(
    traced: tuple[TracingHook, InMemorySpanExporter], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook, exporter = traced
    plan = crashing_plan({"b"}).with_hooks(hook)  # type: ignore[attr-defined]
    path = tmp_path / "journal.db"
    with SQLiteJournal(path) as journal, pytest.raises(Crash):
        await plan.run(1, run_id="r", journal=journal)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tta_steps SET payload = ? WHERE key = ?", (b"00-garbage", TRACE_KEY))
    with SQLiteJournal(path) as journal, caplog.at_level(logging.WARNING):
        assert await plan.run(1, run_id="r", journal=journal) == 4
    assert "the journaled trace context fails its checksum" in caplog.text
    assert not roots(exporter)[1].links

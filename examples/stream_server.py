"""A web page that streams a plan live: the answer's tokens as they come, and the plan's Mermaid
graph with the running node highlighted, over Server-Sent Events.

Needs: pip install -e '.[web]'   (a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/stream_server.py                 # then open http://127.0.0.1:8000 (or --port N)
    python examples/stream_server.py --base-url URL --model NAME   # a real OpenAI-compatible model

The page draws the graph with mermaid.js, served from this machine (the page works offline):
`examples/static/mermaid.min.js`, which `make mermaid` (run by `make demo` when npm is there)
copies from the npm package, or `--mermaid-js PATH` (a file, or a URL such as a CDN's, by
choice; `TTA_MERMAID_JS` says the same). Without it the server says so in one line, and the page
shows the plan as Mermaid text.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import attrs

from tta_dev_primitives.extras import exit_if_missing

exit_if_missing("web")  # one line naming the extra, not an ImportError's traceback

from sse_starlette.sse import EventSourceResponse  # noqa: E402 - after the check
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import FileResponse, HTMLResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tta_dev_primitives import ChatModel, ChatRequest, FakeChatModel, StreamPlan, chat_stream, compile, node
from tta_dev_primitives.events import ChunkEvent, Event, NodeFinished, NodeStarted, RunFinished
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

DOCS = {
    "plans": "A plan is compiled once: its types are checked and its steps become plain awaits.",
    "streaming": "Streaming nodes hand their chunks to the next step, or to the client, as they come.",
    "events": "Every node start and end, retry and chunk is an event the page receives live.",
}


@attrs.frozen
class Summary:
    words: int
    characters: int


@node
def clean(question: str) -> str:
    return " ".join(question.split()) or "How does streaming work?"


@node
def retrieve(question: str) -> ChatRequest:
    """A stand-in for a search: the documents whose key word the question mentions."""
    found = [text for key, text in DOCS.items() if key in question.lower()] or list(DOCS.values())
    return ChatRequest.of(question, system="Answer from these notes:\n" + "\n".join(found))


@node
def summarize(answer: str) -> Summary:
    return Summary(len(answer.split()), len(answer))


def fake_answer(request: ChatRequest) -> str:
    notes = request.messages[0].content.splitlines()[1:]
    return " ".join(notes)


def fake_model() -> FakeChatModel:
    """The offline model: the notes, streamed at a readable pace."""
    return FakeChatModel("fake-small", reply=fake_answer, latency=0.2, chunk_latency=0.04)


def build_plan(model: ChatModel | None = None) -> StreamPlan[str, str, Summary]:
    """The streamed plan, on `model` (default: the offline fake model)."""
    model = model if model is not None else fake_model()
    answer = chat_stream(model).retry(max_attempts=3).timeout(120, first_chunk=30, idle=30)
    return compile(clean >> retrieve >> answer >> summarize, name="answer")


def event_data(event: Event) -> dict[str, object]:
    """An event as JSON for the page: ids, names, timing and status; chunks' text; an error's
    type only (its message may hold user data)."""
    data: dict[str, object] = {"kind": event.kind, "at": round(event.at, 6)}
    if isinstance(event, (NodeStarted, NodeFinished, ChunkEvent)):
        data.update(node_id=event.node_id, node=event.node)
    if isinstance(event, NodeFinished):
        data.update(status=event.status, duration=round(event.duration, 6))
    if isinstance(event, ChunkEvent):
        data.update(index=event.index, chunk=str(event.chunk))
    if isinstance(event, RunFinished):
        data.update(status=event.status, error=None if event.error is None else type(event.error).__name__)
    return data


def page_html(plan: StreamPlan[str, str, Summary], mermaid_js: Path | str | None) -> str:
    """The page: the plan's graph drawn by mermaid.js (served at /mermaid.js, or the URL given),
    else shown as Mermaid text under a line saying how to get mermaid.js."""
    answer_ids = [op.node_id for op in plan.ops() if op.kind == "stream"]
    if mermaid_js is None:
        script = f'<p id="no-mermaid">{html.escape(MISSING_MERMAID)}</p>'
    else:
        script = f'<script src="{html.escape(mermaid_js if isinstance(mermaid_js, str) else "/mermaid.js")}"></script>'
    body = PAGE.replace("{{GRAPH}}", html.escape(plan.to_mermaid())).replace("{{MERMAID}}", script)
    return body.replace("{{ANSWER_IDS}}", json.dumps(answer_ids))


def create_app(plan: StreamPlan[str, str, Summary], *, mermaid_js: Path | str | None = None) -> Starlette:
    """The page, its event stream and the local copy of mermaid.js (a `str` is a URL the page
    loads it from instead)."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(page_html(plan, mermaid_js))

    async def events(request: Request) -> EventSourceResponse:
        question = request.query_params.get("q", "")

        async def stream() -> AsyncIterator[dict[str, str]]:
            async with plan.events(question) as run:
                async for event in run:
                    yield {"event": event.kind, "data": json.dumps(event_data(event))}
            summary = await run.result()
            yield {"event": "result", "data": json.dumps(attrs.asdict(summary))}

        return EventSourceResponse(stream())

    async def mermaid(request: Request) -> Response:
        if not isinstance(mermaid_js, Path):
            return Response(status_code=404)
        return FileResponse(mermaid_js, media_type="text/javascript")

    return Starlette(routes=[Route("/", page), Route("/events", events), Route("/mermaid.js", mermaid)])


VENDORED_MERMAID = Path(__file__).parent / "static" / "mermaid.min.js"
"""Where `make mermaid` puts mermaid.min.js (from the npm package; not in git: 3 MB)."""
MISSING_MERMAID = (
    "mermaid.js is not here, so the plan is shown as Mermaid text: run `make mermaid` "
    "(copies it from npm to examples/static/), or pass --mermaid-js PATH"
)


def find_mermaid(given: str | None) -> Path | str | None:
    """mermaid.min.js: `given` (a file, or an http(s) URL the page loads it from), else
    $TTA_MERMAID_JS (the same), else the copy `make mermaid` vendors, else ./node_modules; None
    when none is there (never a CDN unasked). A named file that is not there is an error."""
    source = "--mermaid-js" if given else "TTA_MERMAID_JS"
    given = given or os.environ.get("TTA_MERMAID_JS") or None
    if given and given.startswith(("https://", "http://")):
        return given
    if given:
        if not Path(given).is_file():
            raise SystemExit(f"{source} {given}: no such file")
        return Path(given)
    candidates = [VENDORED_MERMAID, Path("node_modules/mermaid/dist/mermaid.min.js")]
    return next((c for c in candidates if c.is_file()), None)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>tta-dev-primitives: streaming</title>
<style>
 body { font-family: sans-serif; margin: 2em; display: grid; grid-template-columns: 1fr 1fr; gap: 2em; }
 #answer { white-space: pre-wrap; min-height: 4em; border: 1px solid #ccc; padding: 1em; }
 #log { font-family: monospace; font-size: 12px; max-height: 24em; overflow: auto; }
 .node.running rect, .node.running polygon { fill: #ffe08a !important; stroke: #c90 !important; }
 .node.done rect, .node.done polygon { fill: #c8f0c8 !important; }
 .node.failed rect, .node.failed polygon { fill: #f6b0b0 !important; }
</style></head>
<body>
<div>
 <form id="ask"><input id="q" size="40" value="How does streaming work?"> <button>Ask</button></form>
 <h3>Answer <span id="status"></span></h3>
 <div id="answer"></div>
 <h3>Events</h3><div id="log"></div>
</div>
<div><h3>Plan</h3><pre class="mermaid" id="graph">{{GRAPH}}</pre></div>
{{MERMAID}}
<script>
const answerIds = {{ANSWER_IDS}};
const states = {};
window.marks = [];  // [node id, state] in order, for tests and curious readers
function element(id) {
  return document.querySelector(`[data-id="n${id}"]`) || document.querySelector(`[id*="flowchart-n${id}-"]`)
    || document.getElementById(`c${id}`);
}
function mark(id, state) {
  states[id] = state;
  window.marks.push([id, state]);
  const el = element(id);
  if (el) { el.classList.remove("running", "done", "failed"); el.classList.add(state); }
  document.body.dataset["node" + id] = state;
}
function ask(question) {
  document.getElementById("answer").textContent = "";
  document.getElementById("log").textContent = "";
  document.getElementById("status").textContent = "(running)";
  const source = new EventSource("/events?q=" + encodeURIComponent(question));
  const log = (e) => { const line = document.createElement("div"); line.textContent = e.data; document.getElementById("log").append(line); };
  source.addEventListener("node_started", (e) => { log(e); mark(JSON.parse(e.data).node_id, "running"); });
  source.addEventListener("node_finished", (e) => { log(e); const d = JSON.parse(e.data); mark(d.node_id, d.status === "ok" ? "done" : "failed"); });
  source.addEventListener("chunk", (e) => { const d = JSON.parse(e.data); if (answerIds.includes(d.node_id)) { document.getElementById("answer").textContent += d.chunk; window.marks.push([d.node_id, "chunk"]); } });
  source.addEventListener("run_finished", (e) => { log(e); document.getElementById("status").textContent = "(" + JSON.parse(e.data).status + ")"; });
  source.addEventListener("result", (e) => { log(e); source.close(); document.body.dataset.finished = "yes"; });
  source.onerror = () => { source.close(); document.getElementById("status").textContent = "(disconnected)"; };
}
document.getElementById("ask").addEventListener("submit", (e) => { e.preventDefault(); ask(document.getElementById("q").value); });
window.addEventListener("load", async () => {
  if (window.mermaid) { mermaid.initialize({ startOnLoad: false }); await mermaid.run({ querySelector: "#graph" }); }
  document.body.dataset.graph = "ready";
});
</script>
</body></html>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="the address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="the port to serve on (default 8000)")
    parser.add_argument("--mermaid-js", help="mermaid.min.js: a file or a URL (default: $TTA_MERMAID_JS, else examples/static/, from `make mermaid`)")
    args = model_arguments(parser).parse_args()
    import uvicorn

    mermaid_js = find_mermaid(args.mermaid_js)
    if mermaid_js is None:
        print(MISSING_MERMAID, file=sys.stderr)
    app = create_app(build_plan(chat_model_from(args, fake_model())), mermaid_js=mermaid_js)
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()

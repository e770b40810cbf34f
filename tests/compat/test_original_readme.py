"""Every snippet of the seed README's "Quick Start", "Recovery Patterns", "Performance
Optimization" and "Observability" sections runs as written.

The snippets are copied here verbatim (a check below compares them with the seed README when it
is present beside the repository), preceded by definitions of the user's own functions.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import anyio
import pytest

SEED_README = Path(__file__).resolve().parents[3] / "shared" / "seed" / "README.md"

QUICK_START = '''
from tta_dev_primitives import Sequential, Parallel, Router, WorkflowPrimitive

# Sequential workflow
workflow = Sequential([
    load_data,
    process_data,
    save_results
])
result = await workflow.execute({"input": "data"})

# Parallel execution
parallel = Parallel([
    fetch_user_data,
    fetch_analytics,
    fetch_recommendations
])
results = await parallel.execute({"user_id": 123})

# Dynamic routing with cost optimization
router = Router({
    "fast": gpt4_mini,
    "balanced": gpt4,
    "quality": gpt4_turbo
})
response = await router.execute({"tier": "balanced", "prompt": "..."})
'''

RECOVERY = '''
from tta_dev_primitives import Retry, Fallback, Timeout, Saga

# Retry with exponential backoff
@Retry(max_attempts=3, backoff_factor=2.0)
async def flaky_api_call():
    return await external_api.fetch()

# Fallback strategy
workflow = Fallback(
    primary=expensive_model,
    fallback=cheap_model
)

# Timeout enforcement
@Timeout(seconds=5.0)
async def long_running_task():
    return await process_data()

# Saga compensation pattern
saga = Saga()
saga.add_step(create_user, rollback=delete_user)
saga.add_step(send_email, rollback=send_cancellation)
await saga.execute({"user_data": {...}})
'''

PERFORMANCE = '''
from tta_dev_primitives import cached

# LRU cache with TTL
@cached(max_size=1000, ttl=3600)
async def expensive_computation(input_data: str) -> dict:
    # Expensive operation here
    return result

# Check cache stats
stats = expensive_computation.cache_stats()
print(f"Hit rate: {stats.hit_rate:.2%}")
'''

OBSERVABILITY = '''
from tta_dev_primitives import get_logger, track_metrics, trace_operation

# Structured logging
logger = get_logger(__name__)
logger.info("Processing request", user_id=123, request_id="abc")

# Metrics tracking
@track_metrics(name="api_latency")
async def api_call():
    return await external_service.call()

# Distributed tracing
@trace_operation(span_name="data_processing")
async def process_pipeline(data):
    # Automatic span creation and context propagation
    return await transform(data)
'''

COST_TRACKING = '''
# Track and enforce budget across LLM calls
cost_tracker = CostTrackingPrimitive(llm_primitive)
enforcer = BudgetEnforcementPrimitive(
    cost_tracker,
    budget_usd=10.0
)

# Automatic cost reporting
report = await enforcer.get_cost_report()
'''

AGENTIC_RAG = '''
# Complete RAG pipeline with quality controls
workflow = (
    QueryRouterPrimitive() >>                    # Route simple vs complex
    VectorstoreRetrieverPrimitive() >>           # Cached retrieval
    DocumentGraderPrimitive() >>                 # Filter irrelevant docs
    AnswerGeneratorPrimitive() >>                # Generate response
    AnswerGraderPrimitive() >>                   # Validate quality
    HallucinationGraderPrimitive()               # Detect hallucinations
)
'''

MULTI_AGENT = '''
# Decompose task and execute with specialist agents
workflow = (
    CoordinatorAgentPrimitive() >>               # Analyze and plan
    ParallelPrimitive([                          # Execute in parallel
        DataAnalystAgentPrimitive(),
        ResearcherAgentPrimitive(),
        FactCheckerAgentPrimitive(),
        SummarizerAgentPrimitive()
    ]) >>
    AggregatorAgentPrimitive()                   # Combine results
)
'''

USER_CODE = '''
from tta_dev_primitives import LambdaPrimitive, TransientError

events = []
result = {"value": 42}

async def load_data(data):
    return {**data, "loaded": True}

def process_data(data=None):
    async def done():
        return {**(data or {}), "processed": True}
    return done() if data is None else {**data, "processed": True}

async def save_results(data):
    return {**data, "saved": True}

async def fetch_user_data(req):
    return {"user": req["user_id"]}

async def fetch_analytics(req):
    return {"visits": 7}

async def fetch_recommendations(req):
    return ["book"]

gpt4_mini = LambdaPrimitive(lambda req: "mini: " + req["prompt"])
gpt4 = LambdaPrimitive(lambda req: "gpt4: " + req["prompt"])
gpt4_turbo = LambdaPrimitive(lambda req: "turbo: " + req["prompt"])

class ExternalApi:
    calls = 0
    async def fetch(self):
        ExternalApi.calls += 1
        if ExternalApi.calls < 3:
            raise TransientError("flaky", retry_after=0.001)
        return "fetched"

external_api = ExternalApi()

async def expensive_model(prompt):
    raise ConnectionError("expensive model is down")

async def cheap_model(prompt):
    return "cheap: " + prompt

async def create_user(data):
    events.append("create_user")
    return {"id": 1}

async def delete_user(user):
    events.append("delete_user")

async def send_email(user):
    events.append("send_email")
    return {"to": user["id"]}

async def send_cancellation(mail):
    events.append("send_cancellation")

class ExternalService:
    async def call(self):
        return "called"

external_service = ExternalService()

async def transform(data):
    return data * 2

from tta_dev_primitives import BudgetEnforcementPrimitive, ChatRequest, CostTrackingPrimitive, FakeChatModel, LLMPrimitive

llm_primitive = LLMPrimitive(FakeChatModel("fake-small"))
'''


def _run(snippet: str) -> dict[str, object]:
    body = textwrap.indent(snippet, "    ")
    source = f"{USER_CODE}\nasync def __main__():\n{body}\n    return locals()\n"
    namespace: dict[str, object] = {}
    exec(compile(source, "<seed snippet>", "exec"), namespace)
    main = namespace["__main__"]
    result = anyio.run(main)  # type: ignore[arg-type]
    assert isinstance(result, dict)
    result["events"] = namespace["events"]
    return result


def test_quick_start_snippet_runs_as_written() -> None:
    scope = _run(QUICK_START)
    assert scope["result"] == {"input": "data", "loaded": True, "processed": True, "saved": True}
    assert scope["results"] == [{"user": 123}, {"visits": 7}, ["book"]]
    assert scope["response"] == "gpt4: ..."


def test_recovery_snippet_runs_as_written() -> None:
    scope = _run(RECOVERY + "\nfetched = await flaky_api_call()\nanswer = await workflow.execute('hi')\ntask = await long_running_task()\n")
    assert scope["fetched"] == "fetched"
    assert scope["answer"] == "cheap: hi"
    assert scope["task"] == {"processed": True}
    assert scope["events"] == ["create_user", "send_email"]


def test_performance_snippet_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    calls = "\nfirst = await expensive_computation('x')\nsecond = await expensive_computation('x')\nafter = expensive_computation.cache_stats()\n"
    scope = _run(PERFORMANCE + calls)
    assert capsys.readouterr().out == "Hit rate: 0.00%\n"
    assert scope["first"] == scope["second"] == {"value": 42}
    after = scope["after"]
    assert after.hits == 1 and after.misses == 1 and after.hit_rate == 0.5  # type: ignore[attr-defined]


def test_observability_snippet_runs_as_written() -> None:
    from prometheus_client import REGISTRY

    before = REGISTRY.get_sample_value("api_latency_calls_total", {"outcome": "ok"}) or 0.0
    scope = _run(OBSERVABILITY + "\ncalled = await api_call()\nprocessed = await process_pipeline(21)\n")
    assert scope["called"] == "called" and scope["processed"] == 42
    assert REGISTRY.get_sample_value("api_latency_calls_total", {"outcome": "ok"}) == before + 1


def test_cost_tracking_snippet_runs_as_written() -> None:
    calls = "\nanswer = await enforcer.execute(ChatRequest.of('hello there'))\nafter = await enforcer.get_cost_report()\n"
    scope = _run(COST_TRACKING + calls)
    assert scope["report"].total_usd == 0 and scope["report"].budget_usd == 10.0  # type: ignore[attr-defined]
    assert scope["after"].by_model["fake-small"].calls == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(("snippet", "example"), [(AGENTIC_RAG, "agentic_rag_workflow.py"), (MULTI_AGENT, "multi_agent_workflow.py")])
def test_example_highlights_are_the_examples_code(snippet: str, example: str) -> None:
    source = (Path(__file__).parents[2] / "examples" / example).read_text()
    assert snippet.strip().removesuffix(")") in source


@pytest.mark.skipif(not SEED_README.exists(), reason="the seed README is only beside the repository in CI and dev checkouts")
def test_snippets_match_the_seed_readme_verbatim() -> None:
    text = SEED_README.read_text()
    for snippet in (QUICK_START, RECOVERY, PERFORMANCE, OBSERVABILITY, COST_TRACKING, AGENTIC_RAG, MULTI_AGENT):
        assert snippet.strip() in text

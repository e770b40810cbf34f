"""Multi-agent coordination: a coordinator plans, four specialists work in parallel, an
aggregator combines their findings; composed exactly as in the original README.

Needs: pip install -e .   (the core install: no extra; a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/multi_agent_workflow.py
    python examples/multi_agent_workflow.py --provider anthropic   # a real model (or --base-url URL --model NAME)
"""

from __future__ import annotations

import argparse
import asyncio

import attrs

from tta_dev_primitives import ParallelPrimitive, WorkflowContext, WorkflowPrimitive, compile
from tta_dev_primitives.stdlib.llm import ChatRequest, FakeChatModel
from tta_dev_primitives.extras import quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
model = chat_model_from(args, FakeChatModel("fake-small", reply=lambda r: f"notes on {r.prompt.split(':', 1)[-1].strip()}"))


@attrs.frozen
class Task:
    goal: str
    subtasks: tuple[str, ...] = ()


@attrs.frozen
class Finding:
    agent: str
    text: str


class CoordinatorAgentPrimitive(WorkflowPrimitive[str, Task]):
    async def execute(self, input_data: str, context: WorkflowContext) -> Task:
        return Task(input_data, ("analyze data", "research sources", "check facts", "summarize"))


class _Specialist(WorkflowPrimitive[Task, Finding]):
    role = "specialist"
    subtask = 0

    async def execute(self, input_data: Task, context: WorkflowContext) -> Finding:
        response = await model.complete(ChatRequest.of(f"{self.role}: {input_data.subtasks[self.subtask]} for {input_data.goal}"))
        return Finding(self.role, response.text)


class DataAnalystAgentPrimitive(_Specialist):
    role, subtask = "data analyst", 0


class ResearcherAgentPrimitive(_Specialist):
    role, subtask = "researcher", 1


class FactCheckerAgentPrimitive(_Specialist):
    role, subtask = "fact checker", 2


class SummarizerAgentPrimitive(_Specialist):
    role, subtask = "summarizer", 3


class AggregatorAgentPrimitive(WorkflowPrimitive[list[object], str]):
    async def execute(self, input_data: list[object], context: WorkflowContext) -> str:
        findings = [f for f in input_data if isinstance(f, Finding)]
        return "\n".join(f"- {f.agent}: {f.text}" for f in findings)


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
)  # fmt: skip


async def main() -> None:
    plan = compile(workflow)
    print(plan.explain(locations=False).split("\n\npasses:")[0])
    report = await plan.run("launch plan for the Q3 release", context=WorkflowContext(workflow_id="multi-agent"))
    print(f"\n{report}")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())

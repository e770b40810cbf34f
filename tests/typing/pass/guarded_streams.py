from tta_dev_primitives import CircuitBreaker, FakeChatModel, chat_stream, compile
from tta_dev_primitives.stdlib.llm import CostTracker

stream = chat_stream(FakeChatModel("gpt-4o"))
reveal_type(compile(CostTracker()(stream)))  # N: Revealed type is "tta_dev_primitives.plan.StreamPlan[tta_dev_primitives.stdlib.llm.model.ChatRequest | builtins.str, builtins.str, builtins.str]"
reveal_type(CircuitBreaker()(stream).retry())  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[tta_dev_primitives.stdlib.llm.model.ChatRequest | builtins.str, builtins.str, builtins.str]"

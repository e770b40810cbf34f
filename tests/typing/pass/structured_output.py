from dataclasses import dataclass

from tta_dev_primitives import FakeChatModel, structured, structured_prompt


@dataclass
class Invoice:
    number: str
    total: float


model = FakeChatModel()
reveal_type(structured(model, Invoice))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[tta_dev_primitives.stdlib.llm.model.ChatRequest, structured_output.Invoice]"
reveal_type(structured_prompt(model, Invoice))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, structured_output.Invoice]"

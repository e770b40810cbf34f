import attrs

from tta_dev_primitives import MemoryJournal, compile, interrupt, node


@attrs.frozen
class Refund:
    amount: int


@attrs.frozen
class Approval:
    ok: bool


approve = interrupt(Refund, Approval, name="approve")


@node
def check(x: int) -> Refund:
    return Refund(x)


@node
def pay(answer: Approval) -> str:
    return "paid" if answer.ok else "refused"


plan = compile(check >> approve >> pay)
wrong_question = check >> interrupt(str, Approval) >> pay  # E: Argument 1 to "interrupt" has incompatible type "type[str]"; expected "type[Refund]"  [arg-type]
wrong_answer = check >> interrupt(Refund, bool) >> pay  # E: Unsupported operand types for >> ("Node[int, bool]" and "Node[Approval, str]")  [operator]


async def main() -> None:
    journal = MemoryJournal()
    outcome = await plan.run(1, run_id="r", journal=journal)
    asked = approve.pending(outcome)
    if asked is not None:
        # the answer must be the interrupt's answer type
        await plan.resume(asked.token, "yes", journal=journal)  # E: Cannot infer value of type parameter "Answer" of "resume" of "Plan"  [misc]
    await plan.run(1, run_id="r")  # E: No overload variant of "run" of "Plan" matches argument types "int", "str"  [call-overload]

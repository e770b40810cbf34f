import attrs

from tta_dev_primitives import Interrupted, MemoryJournal, ResumeToken, compile, interrupt, node


@attrs.frozen
class Refund:
    amount: int


@attrs.frozen
class Approval:
    ok: bool


approve = interrupt(Refund, Approval, name="approve")
reveal_type(approve)  # N: Revealed type is "tta_dev_primitives.durable._interrupt.Interrupt[durable_interrupt.Refund, durable_interrupt.Approval]"


@node
def check(x: int) -> Refund:
    return Refund(x)


@node
def pay(answer: Approval) -> str:
    return "paid" if answer.ok else "refused"


plan = compile(check >> approve >> pay)


async def main() -> None:
    journal = MemoryJournal()
    plain = await plan.run(1)
    reveal_type(plain)  # N: Revealed type is "builtins.str"
    outcome = await plan.run(1, run_id="r", journal=journal)
    reveal_type(outcome)  # N: Revealed type is "builtins.str | tta_dev_primitives.durable._interrupt.Interrupted[builtins.object, builtins.object]"
    asked = approve.pending(outcome)
    if asked is not None:
        reveal_type(asked.question)  # N: Revealed type is "durable_interrupt.Refund"
        reveal_type(asked.token)  # N: Revealed type is "tta_dev_primitives.durable._interrupt.ResumeToken[durable_interrupt.Approval]"
        done = await plan.resume(asked.token, Approval(ok=True), journal=journal)
        reveal_type(done)  # N: Revealed type is "builtins.str | tta_dev_primitives.durable._interrupt.Interrupted[builtins.object, builtins.object]"
    if isinstance(outcome, Interrupted):
        await plan.resume(outcome.token, "anything", journal=journal)
    await plan.resume(ResumeToken.parse("x"), Approval(ok=True), journal=journal)
    pending = await plan.pending("r", journal=journal)
    reveal_type(pending)  # N: Revealed type is "tta_dev_primitives.durable._interrupt.Interrupted[builtins.object, builtins.object] | None"

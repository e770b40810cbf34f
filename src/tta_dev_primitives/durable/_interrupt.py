"""Human-in-the-loop interrupts: a typed node that suspends a durable run until it is answered.

    approve = interrupt(Refund, Approval, name="approve")       # Node[Refund, Approval]
    plan = compile(check >> approve >> pay)

    outcome = await plan.run(refund, run_id="refund-7", journal=journal)
    if (asked := approve.pending(outcome)) is not None:          # Interrupted[Refund, Approval]
        ...show asked.question to a person...
        outcome = await plan.resume(asked.token, Approval(ok=True), journal=journal)

The first time the run reaches `approve`, the question (the node's input) is journaled and
`plan.run` returns an `Interrupted` value instead of the result. `plan.resume(token, answer)`,
in this process or another one (`ResumeToken.parse(str(token))`, or `plan.pending(run_id)`),
journals the answer and runs the plan again: every node before the interrupt replays from the
journal, the interrupt returns the answer, and the run goes on. mypy checks the answer against
the interrupt's answer type; `resume` checks it again at run time.
"""

from __future__ import annotations

import base64
import json
import typing
from typing import ClassVar, Generic, TypeVar

import attrs

from ..compiler._ir import Op
from ..compiler._lowering import Lowerer, lowering, op_identity
from ..dsl._core import Node
from ..errors import ConfigError
from ..executor._emit import Emitter, Step, emitter
from ..executor._journaling import QUESTION, RunSuspended, current_key, current_recorder
from .errors import ResumeError

__all__ = ["Interrupt", "Interrupted", "ResumeToken", "interrupt"]

Q = TypeVar("Q")
A = TypeVar("A")
A_in = TypeVar("A_in", contravariant=True)
TOKEN_PREFIX = "tta-resume-1:"


@attrs.frozen
class ResumeToken(Generic[A_in]):
    """Where a suspended run waits: its run id, the interrupt's journal key and node name, and
    the fingerprint of the plan that suspended it. `str(token)` is a compact text form that
    `ResumeToken.parse` reads back (to resume from another process).

    Its type parameter is the answer it takes (contravariant: a token that takes any object
    takes an Approval), so mypy checks `plan.resume(token, answer)`."""

    run_id: str
    key: str
    node: str
    fingerprint: str

    def __str__(self) -> str:
        data = json.dumps([self.run_id, self.key, self.node, self.fingerprint], separators=(",", ":"))
        return TOKEN_PREFIX + base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> ResumeToken[object]:
        """The token `str(token)` wrote; ResumeError for anything else."""
        if not isinstance(text, str) or not text.startswith(TOKEN_PREFIX):
            raise ResumeError(f"not a resume token: {text!r:.80}")
        body = text[len(TOKEN_PREFIX) :]
        try:
            fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError as error:
            raise ResumeError(f"not a resume token ({error}): {text!r:.80}") from None
        if not (isinstance(fields, list) and len(fields) == 4 and all(isinstance(f, str) for f in fields)):
            raise ResumeError(f"not a resume token: {text!r:.80}")
        return ResumeToken(*fields)


@attrs.frozen
class Interrupted(Generic[Q, A]):
    """What a durable run returns when an interrupt suspended it: the question (the interrupt's
    input) and the token to `plan.resume` it with. The interrupt node's `pending(outcome)`
    gives this value typed with that node's question and answer types."""

    run_id: str
    node: str
    question: Q
    token: ResumeToken[A]


class Interrupt(Node[Q, A], Generic[Q, A]):
    """A node that suspends a durable run (see the module docs); made by `interrupt()`."""

    primitive_type = "interrupt"

    def __init__(self, question: type[Q], answer: type[A], *, name: str | None = None) -> None:
        self.question_type = question
        self.answer_type = answer
        self._set_name(name)

    def _default_name(self) -> str:
        return f"interrupt({getattr(self.answer_type, '__name__', 'answer')})"

    def pending(self, outcome: object) -> Interrupted[Q, A] | None:
        """`outcome` (what `plan.run` or `plan.resume` returned), typed as this interrupt's,
        when the run is suspended at this interrupt (matched by name); else None."""
        if isinstance(outcome, Interrupted) and outcome.node == self.name:
            return typing.cast("Interrupted[Q, A]", outcome)
        return None


def interrupt(question: type[Q], answer: type[A], *, name: str | None = None) -> Interrupt[Q, A]:
    """A typed interrupt: `Node[question, answer]` that suspends a durable run until
    `plan.resume(token, answer)` (see the module docs). Give it a name unique in the plan."""
    given: tuple[tuple[str, object], ...] = (("question", question), ("answer", answer))
    for field, value in given:
        if not isinstance(value, type) and typing.get_origin(value) is None:
            raise ConfigError(f"interrupt({name or '...'})", field, "a type (a class or a typing form)", value)
    return Interrupt(question, answer, name=name)


@attrs.frozen(kw_only=True, eq=False)
class InterruptOp(Op):
    """Suspends the durable run; the answer is journaled as its output."""

    kind: ClassVar[str] = "interrupt"
    journaled: ClassVar[bool] = True
    traced: ClassVar[bool] = True


@lowering(Interrupt)
def _lower_interrupt(node: Interrupt[object, object], lw: Lowerer) -> Op:
    return InterruptOp(**op_identity(node, lw), in_type=node.question_type, out_type=node.answer_type)


@emitter(InterruptOp)
def _emit_interrupt(op: InterruptOp, em: Emitter) -> Step:
    name = op.name
    if em.journal_codec is None:

        async def refuse(x: object) -> object:
            raise ConfigError(f"interrupt {name!r}", "run", "a durable run: plan.run(x, run_id=..., journal=...)", "a run without a journal")

        return Step(refuse, True)
    question_codec = em.journal_codec(op, op.in_type)

    async def suspend(question: object) -> object:
        """Reached only without a journaled answer (the journaling wrapper replays one)."""
        recorder = current_recorder()
        if recorder is None:
            raise ConfigError(f"interrupt {name!r}", "run", "a durable run: plan.run(x, run_id=..., journal=...)", "a run without a journal")
        key = current_key(op)
        asked = key + QUESTION
        if asked not in recorder.records:
            await recorder.record(asked, question_codec.encode(question))
        raise RunSuspended(key, name, question)

    return Step(suspend, True)

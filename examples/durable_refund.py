"""A durable refund: a saga that waits for a person's approval, survives a restart, and
compensates exactly once.

Needs: pip install -e '.[durable]'

    python examples/durable_refund.py                 # start: runs until the approval, then stops
    python examples/durable_refund.py --approve yes   # another process answers; the run goes on

The journal is an SQLite file (`refunds.db` in the current directory, or --journal PATH); each
run prints where it is.
Each completed step is journaled; the second process replays them instead of running them
again, so the customer is never credited twice.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import attrs

from tta_dev_primitives import Interrupted, RunContext, SQLiteJournal, compensated, compile, interrupt, node, saga
from tta_dev_primitives.extras import exit_if_missing, quiet_on_closed_pipe

exit_if_missing("durable")  # one line naming the extra, not a traceback deep in the library


@attrs.frozen
class Claim:
    order: str
    amount: int


@attrs.frozen
class Approval:
    approved: bool
    by: str


@attrs.frozen
class Credit:
    order: str
    amount: int
    reference: str


@node
def assess(claim: Claim) -> Claim:
    """Checks the claim."""
    return claim


@node
def credit(claim: Claim, ctx: RunContext) -> Credit:
    """Credits the customer. The idempotency key is the same in every attempt of this run, so
    a payment API that honours it credits once even if the step is re-run after a crash."""
    print(f"crediting {claim.amount} for {claim.order} (idempotency key {ctx.idempotency_key})")
    return Credit(claim.order, claim.amount, reference=f"cr-{claim.order}")


def reverse(done: Credit) -> None:
    print(f"reversing credit {done.reference}")


@node
def to_review(done: Credit) -> Claim:
    return Claim(done.order, done.amount)


@node
def close(approval: Approval) -> str:
    if not approval.approved:
        raise ValueError(f"refund refused by {approval.by}")
    return f"refund closed, approved by {approval.by}"


approve = interrupt(Claim, Approval, name="approve refund")
plan = compile(saga(assess >> compensated(credit, reverse) >> to_review >> approve >> close, name="refund"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journal", default="refunds.db", help="the SQLite journal (default: refunds.db in the current directory)")
    parser.add_argument("--run-id", default="refund-order-17", help="which run (default refund-order-17)")
    parser.add_argument("--approve", choices=["yes", "no"], help="answer the pending approval")
    args = parser.parse_args()
    print(f"journal: {Path(args.journal).resolve()}")
    with SQLiteJournal(args.journal) as journal:
        if args.approve is None:
            outcome = await plan.run(Claim("order-17", 40), run_id=args.run_id, journal=journal)
        else:
            pending = await plan.pending(args.run_id, journal=journal)
            asked = approve.pending(pending)
            if asked is None:
                print(f"run {args.run_id!r} is not waiting for an approval")
                return
            answer = Approval(args.approve == "yes", by="the support lead")
            try:
                outcome = await plan.resume(asked.token, answer, journal=journal)
            except ValueError as refused:
                print(f"{refused} (the credit was reversed)")
                return
        if isinstance(outcome, Interrupted):
            print(f"waiting for {outcome.node!r}: {outcome.question}")
        else:
            print(outcome)


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())

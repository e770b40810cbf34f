"""fuse_cache: fewer, better-placed caches over pure computations.

1. Nested cache wrappers become one (the stricter TTL and size win).
2. A cache over a chain of pure nodes makes per-node in-memory caches inside it redundant: they
   are removed when no other place in the plan uses them and they say so (`redundant_under`:
   never a cache with a store you gave, nor one that caches failures).
3. Identical cache wrappers around the same pure computation share one store, so each place
   benefits from the other's entries.

Caches are guard ops whose policy is a `CachePolicy`, which decides itself what may be merged,
dropped or shared (`merge`, `redundant_under`, `share`), so the compiler does not depend on the
stdlib. Wrapped ops keep their ids and names: telemetry still sees every node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

import attrs

from .._ir import Op, SeqOp, composites, rewrite_composites
from .._policy import CachePolicy
from .._structure import is_pure, structural_key
from ._base import Change, CompilerPass, PassContext

__all__ = ["FUSE_CACHE"]


def _policy(op: Op) -> CachePolicy | None:
    policy = op.policy()
    return policy if isinstance(policy, CachePolicy) else None


def _fuse(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    changes: list[Change] = []
    uses = Counter(id(p) for op in composites(root) if (p := _policy(op)) is not None)  # guards have a child

    def rule(op: Op) -> Op:
        outer = _policy(op)
        if outer is None or not is_pure(op.children[0]):
            return op
        child = op.children[0]
        inner = _policy(child)
        if inner is not None:
            merged = outer.merge(inner)
            if merged is not None:
                changes.append(Change("fuse_cache.nested", child.name, f"nested in {op.name!r}: one cache with the stricter TTL and size", "merged"))
                return attrs.evolve(op, guard=merged, children=child.children)  # type: ignore[call-arg]  # a guard op
        if isinstance(child, SeqOp):
            steps = []
            for step in child.children:
                step_policy = _policy(step)
                if (
                    step_policy is not None
                    and uses[id(step_policy)] == 1
                    and is_pure(step.children[0])
                    and step_policy.redundant_under(outer)
                ):
                    changes.append(Change("fuse_cache.inner", step.name, f"redundant under the cache of {op.name!r}", "removed"))
                    steps.append(step.children[0])
                else:
                    steps.append(step)
            if any(new is not old for new, old in zip(steps, child.children)):
                return op.with_children((child.with_children(tuple(steps)),))
        return op

    fused = rewrite_composites(root, rule)

    shared: dict[Hashable, CachePolicy] = {}

    def share(op: Op) -> Op:
        policy = _policy(op)
        if policy is None or not is_pure(op.children[0]):
            return op
        key = structural_key(op.children[0])
        first = shared.setdefault(key, policy)
        if not first.share(policy):
            return op
        changes.append(Change("fuse_cache.share", op.name, "identical cache on the same computation: one store for both", "merged"))
        return attrs.evolve(op, guard=first)  # type: ignore[call-arg]  # a guard op

    return rewrite_composites(fused, share), changes


FUSE_CACHE = CompilerPass("fuse_cache", "merge nested and redundant caches over pure computations; share identical ones", _fuse)

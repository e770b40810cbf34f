"""The extension API in one place: what you need to add a primitive of your own.

A primitive is a node class (`Node` subclass) plus a lowering rule (`@lowering(NodeClass)`)
that turns it into plan ops; a new kind of op also needs an emitter (`@emitter(OpClass)`) that
turns the op into a `Step`. A wrapper around one child (a guard: retry, timeout, breaker, ...)
is a `GuardPolicy` subclass, which wraps the child's closure once when the plan is built and
answers for its own worst-case bounds and lint facts (`Policy`). Hooks (`Hook`, `install_hook`) see every node run.
Everything here is also importable from the module that defines it; this is the stable path.
"""

from .compiler._compile import compile_program as compile_program
from .compiler._ir import (
    BranchOp as BranchOp,
    CallOp as CallOp,
    CastOp as CastOp,
    ConstOp as ConstOp,
    Edge as Edge,
    Group as Group,
    LoopOp as LoopOp,
    MapOp as MapOp,
    Op as Op,
    ParOp as ParOp,
    SeqOp as SeqOp,
    StageOp as StageOp,
    StreamOp as StreamOp,
    fold as fold,
    rewrite as rewrite,
    walk as walk,
)
from .compiler._lowering import Lowerer as Lowerer, call_op as call_op, lowering as lowering, op_identity as op_identity
from .compiler._policy import CachePolicy as CachePolicy, Policy as Policy
from .compiler._program import PassRecord as PassRecord, Program as Program
from .dsl._core import AnyNode as AnyNode, Node as Node
from .dsl._traits import Traits as Traits
from .executor._emit import Emitter as Emitter, emitter as emitter, node_info as node_info
from .executor._hooks import (
    Hook as Hook,
    HookSet as HookSet,
    NodeInfo as NodeInfo,
    RunInfo as RunInfo,
    install_hook as install_hook,
    installed_hooks as installed_hooks,
    uninstall_hook as uninstall_hook,
)
from .executor._step import AsyncFn as AsyncFn, OpenFn as OpenFn, Step as Step
from .stdlib._guard import GuardPolicy as GuardPolicy, GuardSite as GuardSite

__all__ = [
    "AnyNode",
    "AsyncFn",
    "BranchOp",
    "CachePolicy",
    "CallOp",
    "CastOp",
    "ConstOp",
    "Edge",
    "Emitter",
    "Group",
    "GuardPolicy",
    "GuardSite",
    "Hook",
    "HookSet",
    "LoopOp",
    "Lowerer",
    "MapOp",
    "Node",
    "NodeInfo",
    "Op",
    "OpenFn",
    "ParOp",
    "PassRecord",
    "Policy",
    "Program",
    "RunInfo",
    "SeqOp",
    "StageOp",
    "Step",
    "StreamOp",
    "Traits",
    "call_op",
    "compile_program",
    "emitter",
    "fold",
    "install_hook",
    "installed_hooks",
    "lowering",
    "node_info",
    "op_identity",
    "rewrite",
    "uninstall_hook",
    "walk",
]

"""What a resumed run checks of the code: a digest of each leaf function's own body.

A plan's fingerprint covers its structure (nodes, types, settings), not what its functions do.
Resuming a run replays the journaled outputs of the nodes that completed; if one of those
nodes' code changed since, the new code downstream would be fed the old code's outputs. So a
run records, per leaf call, a digest of its function's bytecode, constants and the names it
uses (and of what a decorator wraps), and resume refuses when a node whose output it would
replay has another digest now (`on_code_change="accept"` replays it anyway).

What the digest cannot see: the bodies of other functions a node calls, the values of globals
and closure variables, a partial's bound arguments, C functions, data and configuration, and
the library's own code. A different Python version compiles other bytecode: every node then
counts as changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import types

from ..compiler.ir import CallOp, Op, walk

__all__ = ["code_digest", "code_digests"]


def _constant(value: object) -> str:
    """A constant's text, the same in every process (a frozenset's order follows str hashes,
    which differ per process)."""
    if isinstance(value, frozenset):
        return "frozenset({" + ", ".join(sorted(_constant(v) for v in value)) + "})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_constant(v) for v in value) + ")"
    return repr(value)


def _add_code(code: types.CodeType, digest: hashlib._Hash) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _add_code(const, digest)  # nested functions, lambdas, comprehensions
        else:
            digest.update(_constant(const).encode("utf-8", "surrogatepass"))


def _functions(fn: object) -> list[types.FunctionType]:
    """The Python functions whose bodies make up `fn`: itself, what it wraps, what it is a
    method or partial of, or its class's `__call__`."""
    found: list[types.FunctionType] = []
    seen: set[int] = set()
    todo = [fn]
    while todo:
        item = todo.pop()
        if id(item) in seen or item is None or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, types.FunctionType):
            found.append(item)
            todo.append(getattr(item, "__wrapped__", None))
        elif isinstance(item, types.MethodType):
            todo.append(item.__func__)
        elif isinstance(item, functools.partial):
            todo.append(item.func)
        elif callable(item):  # a callable object (a builtin has neither: no digest)
            todo.append(getattr(item, "__wrapped__", None))
            todo.append(getattr(type(item), "__call__", None))
    return found


def code_digest(fn: object) -> str | None:
    """A digest of `fn`'s code (see the module docs); None for a callable with no Python code."""
    functions = _functions(fn)
    if not functions:
        return None
    digest = hashlib.sha256()
    for function in functions:
        _add_code(function.__code__, digest)
        digest.update(_constant(function.__defaults__).encode("utf-8", "surrogatepass"))
        digest.update(repr(sorted((function.__kwdefaults__ or {}).items(), key=lambda kv: kv[0])).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def code_digests(root: Op) -> str:
    """The plan's leaf digests as JSON, `{node id: digest}`: what a run records in its header."""
    digests = {}
    for op in walk(root):
        if isinstance(op, CallOp):
            found = code_digest(op.fn)
            if found is not None:
                digests[str(op.node_id)] = found
    return json.dumps(digests, sort_keys=True, separators=(",", ":"))

"""What a resumed run checks of the code: a digest of each leaf function's own body.

A plan's fingerprint covers its structure (nodes, types, settings), not what its functions do.
Resuming a run replays the journaled outputs of the nodes that completed; if one of those
nodes' code changed since, the new code downstream would be fed the old code's outputs. So a
run records, per leaf call, a digest of its function's bytecode, constants and the names it
uses (and of what a decorator wraps, or a closure holds as a function), and resume refuses when a node whose output it would
replay has another digest now (`on_code_change="accept"` replays it anyway).

What the digest cannot see: the bodies of other functions a node calls by name, the values of
globals and of closure variables other than functions, a partial's bound arguments, defaults
other than plain data (counted by their type), C functions, data and configuration, and the
library's own code. A different Python version compiles other bytecode: every node then
counts as changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import types

from ..compiler._ir import CallOp, Op, walk
from .._old_paths import stable_module

__all__ = ["code_digest", "code_digests"]


_PLAIN = (type(None), bool, int, float, complex, str, bytes)


def _constant(value: object) -> str:
    """A constant's or a default's text, the same in every process: a set's order follows str
    hashes, which differ per process, and another object's repr may show its address, so such
    an object counts by its type alone."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, (frozenset, set)):
        return type(value).__name__ + "({" + ", ".join(sorted(_constant(v) for v in value)) + "})"
    if isinstance(value, (tuple, list)):
        return type(value).__name__ + "(" + ", ".join(_constant(v) for v in value) + ")"
    if isinstance(value, dict):
        return "dict(" + ", ".join(sorted(f"{_constant(k)}: {_constant(v)}" for k, v in value.items())) + ")"
    return f"<{stable_module(type(value).__module__, type(value).__qualname__)}.{type(value).__qualname__}>"


def _part(digest: hashlib._Hash, data: bytes) -> None:
    """Add one part, length first: `12`,`3` and `1`,`23` stay two different digests."""
    digest.update(b"%d:" % len(data))
    digest.update(data)


def _add_code(code: types.CodeType, digest: hashlib._Hash) -> None:
    _part(digest, code.co_code)
    _part(digest, repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _add_code(const, digest)  # nested functions, lambdas, comprehensions
        else:
            _part(digest, _constant(const).encode("utf-8", "surrogatepass"))


def _functions(fn: object) -> list[types.FunctionType]:
    """The Python functions whose bodies make up `fn`: itself, what it wraps (`__wrapped__`, or
    a function in its closure: what a decorator or `node_with` wraps), what it is a method or
    partial of, or its class's `__call__`."""
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
            todo.extend(_closure_functions(item))
        elif isinstance(item, types.MethodType):
            todo.append(item.__func__)
        elif isinstance(item, functools.partial):
            todo.append(item.func)
        elif callable(item):  # a callable object (a builtin has neither: no digest)
            todo.append(getattr(item, "__wrapped__", None))
            todo.append(getattr(type(item), "__call__", None))
    return found


def _closure_functions(function: types.FunctionType) -> list[object]:
    """The functions a closure holds (a decorator's wrapped function); other values are data."""
    found: list[object] = []
    for cell in function.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
            found.append(value)
    return found


def code_digest(fn: object) -> str | None:
    """A digest of `fn`'s code (see the module docs); None for a callable with no Python code."""
    functions = _functions(fn)
    if not functions:
        return None
    digest = hashlib.sha256()
    for function in functions:
        _add_code(function.__code__, digest)
        _part(digest, _constant(function.__defaults__).encode("utf-8", "surrogatepass"))
        _part(digest, _constant(function.__kwdefaults__ or {}).encode("utf-8", "surrogatepass"))
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

"""Optional mypy plugin: `node(f)` typed from `f` alone, so mistakes are reported as mismatches.

Without it, mypy infers an inline `node(shout)` inside `parse >> node(shout)` with the expected
type as context, and when `shout` does not take what `parse` returns it reports the failure
against `node()`'s first (async) overload: `expected "Callable[[int], Awaitable[Never]]"`, plus
a spurious "Need type annotation". With the plugin, a reference to a plain (non-generic) function
gets the concrete signature `node(f) -> Node[A, B]` read from `f`, and mypy reports the real
mistake: `Unsupported operand types for >> ("Node[str, int]" and "Node[str, str]")`.

It also reports `node(f)` of a generic `f` where it happens: mypy cannot keep a node generic and
would solve it to `Never` silently, so the mistake would surface wherever the node is used.

Enable it in the mypy configuration: `plugins = ["tta_dev_primitives.mypy_plugin"]`. Lambdas,
generic functions and async generators keep the ordinary overloads.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_POS, MemberExpr, NameExpr, RefExpr
from mypy.plugin import FunctionContext, FunctionSigContext, Plugin
from mypy.types import CallableType, FunctionLike, Instance, Type, get_proper_type

__all__ = ["NodeSignaturePlugin", "plugin"]

_NODE_FUNCTION = "tta_dev_primitives.dsl._function.node"
_NODE_CLASS = "tta_dev_primitives.dsl._core.Node"
_CONTEXT_CLASS = "tta_dev_primitives.context.RunContext"
_AWAITABLES = ("typing.Coroutine", "typing.Awaitable")
_ASYNC_ITERATORS = ("typing.AsyncIterator", "typing.AsyncGenerator")


def _fullname(tp: Type) -> str | None:
    proper = get_proper_type(tp)
    return proper.type.fullname if isinstance(proper, Instance) else None


def _concrete_signature(ctx: FunctionSigContext) -> FunctionLike:
    """The signature of this `node()` overload item, made concrete for the function passed."""
    signature = ctx.default_signature
    if not ctx.args or len(ctx.args[0]) != 1 or not isinstance(ctx.args[0][0], (NameExpr, MemberExpr)):
        return signature
    reference: RefExpr = ctx.args[0][0]
    fn_type = get_proper_type(ctx.api.get_expression_type(reference))
    if not isinstance(fn_type, CallableType) or fn_type.variables or fn_type.is_type_obj():
        return signature
    positional = [t for t, kind in zip(fn_type.arg_types, fn_type.arg_kinds) if kind == ARG_POS]
    if len(positional) != len(fn_type.arg_types) or len(positional) > 2:
        return signature
    if len(positional) == 2 and _fullname(positional[1]) != _CONTEXT_CLASS:
        return signature
    result = get_proper_type(fn_type.ret_type)
    if _fullname(result) in _ASYNC_ITERATORS:
        return signature  # an async generator: the overloads reject it by name
    if isinstance(result, Instance) and result.type.fullname in _AWAITABLES and result.args:
        output = result.args[-1]
    else:
        output = fn_type.ret_type
    declared = get_proper_type(signature.ret_type)
    if not isinstance(declared, Instance) or declared.type.fullname != _NODE_CLASS:
        return signature  # an overload item returning something else (the async-generator marker)
    object_type: Type = ctx.api.named_generic_type("builtins.object", [])
    input_type = positional[0] if positional else object_type
    node_type = Instance(declared.type, [input_type, output])
    return signature.copy_modified(
        arg_types=[fn_type, *signature.arg_types[1:]],
        ret_type=node_type,
        variables=[],
    )


def _generic_function(ctx: FunctionContext) -> Type:
    """Say where `node(f)` of a generic `f` loses its type: mypy cannot keep a node generic, and
    would otherwise solve its type variables to `Never` silently (the error then appears later,
    wherever the node is used)."""
    if ctx.arg_types and ctx.arg_types[0]:
        fn_type = get_proper_type(ctx.arg_types[0][0])
        if isinstance(fn_type, CallableType) and fn_type.variables and not fn_type.is_type_obj():
            name = fn_type.name or "the function"
            ctx.api.fail(
                f'node() cannot keep generic function "{name}" generic under mypy; compose the plain '
                f"function with >> (its type variables are solved from the step before), or wrap it "
                f"in a def with concrete types",
                ctx.context,
            )
    return ctx.default_return_type


class NodeSignaturePlugin(Plugin):
    """Gives `node(f)` the concrete signature read from `f`, and reports `node()` of a generic
    function where it happens (see the module docstring)."""

    def get_function_signature_hook(self, fullname: str) -> Callable[[FunctionSigContext], FunctionLike] | None:
        """For `node(fn)`: the signature that makes mypy infer `Node[In, Out]` from `fn`'s annotations."""
        return _concrete_signature if fullname == _NODE_FUNCTION else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """For `node(fn)` on a generic function: its type variables kept in the node's type."""
        return _generic_function if fullname == _NODE_FUNCTION else None


def plugin(version: str) -> type[Plugin]:
    """The entry point mypy calls."""
    return NodeSignaturePlugin

"""Step: a runnable op, the unit the emitters build and the sequences, guards and hooks wrap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import attrs

__all__ = ["AsyncFn", "Frame", "OpenFn", "Step"]

AsyncFn = Callable[[object], Awaitable[object]]

OpenFn = Callable[[object], AsyncIterator[object]]


@attrs.frozen(slots=True)
class Frame:
    """Code a caller wraps around generated steps (see executor._sequence): the plan's run
    function checks its input and sets up the RunContext before them (`prologue`, lines
    indented 4) and restores it after (`epilogue`, the `finally` block, indented 8).

    The function generated takes `x` and then `params`; the names these lines use come from
    `namespace`. `place(exc)` notes an error that no step of a sequence placed."""

    params: tuple[str, ...]
    prologue: tuple[str, ...]
    epilogue: tuple[str, ...]
    namespace: Mapping[str, object]
    place: Callable[[BaseException], None]


@attrs.frozen(slots=True)
class Step:
    """A runnable op: `call(x)` returns the result, or an awaitable of it when `is_async`.

    A streaming op also has `open(x)`, an async iterator of its chunks, and, when its `call`
    is built from `open` (it collects the chunks and joins them), `collect`, the function that
    builds that `call` from an `open`: instrumenting the step then wraps `open` once and
    rebuilds `call` from the wrapped one.
    """

    call: Callable[[object], object]
    is_async: bool
    open: OpenFn | None = None
    collect: Callable[[OpenFn], AsyncFn] | None = None
    inline: Callable[[Frame], Callable[..., Awaitable[object]]] | None = None
    """For a sequence: its steps generated again inside a caller's `Frame` (the plan's run
    function), so the plan and its root sequence run as one coroutine. A step wrapped in
    anything (hooks, journaling) has none: the wrapper must run."""

    def as_async(self) -> AsyncFn:
        """This step as an async callable (sync steps get a thin coroutine wrapper)."""
        if self.is_async:
            return self.call  # type: ignore[return-value]
        call = self.call

        async def run_sync(x: object) -> object:
            return call(x)

        return run_sync

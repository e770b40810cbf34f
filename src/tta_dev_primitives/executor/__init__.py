"""The executor: runs plans on anyio (asyncio or trio) and calls hooks."""

from ._emit import Emitter, Step, emitter
from ._hooks import Hook, HookSet, NodeInfo, RunInfo, install_hook, installed_hooks, uninstall_hook
from ._outputs import InputTypeError, OutputTypeError, check_outputs
from ._runner import RunTimeoutError

__all__ = [
    "Emitter",
    "Hook",
    "HookSet",
    "NodeInfo",
    "InputTypeError",
    "OutputTypeError",
    "RunInfo",
    "RunTimeoutError",
    "Step",
    "check_outputs",
    "emitter",
    "install_hook",
    "installed_hooks",
    "uninstall_hook",
]

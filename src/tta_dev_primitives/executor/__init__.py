"""The executor: runs plans on anyio (asyncio or trio) and calls hooks."""

from .emit import Emitter, Step, emitter
from .hooks import Hook, HookSet, NodeInfo, RunInfo, install_hook, installed_hooks, uninstall_hook
from .outputs import InputTypeError, OutputTypeError, check_outputs
from .runner import RunTimeoutError

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

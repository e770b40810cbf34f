"""Every optional dependency, missing, is one MissingExtraError naming the extra that brings it.

The dependency is made unimportable in this process (`sys.modules[name] = None`, which makes
importing it raise ImportError), so no separate environment is needed."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import anyio
import pytest

from tta_dev_primitives import FakeChatModel, compile, node, tool
from tta_dev_primitives.errors import MissingExtraError
from tta_dev_primitives.extras import EXTRAS, require
from tests.fixtures.extras import OPTIONAL, ROOT, installs, providers


def _tool() -> None:
    def double(x: int) -> int:
        """Double a number."""
        return 2 * x

    tool(double)


def _type_schema() -> None:
    from tta_dev_primitives.stdlib.llm._schema import type_schema

    type_schema(int, where="test")


def _durable_run() -> None:
    from tta_dev_primitives import SQLiteJournal

    plan = compile(node(lambda x: x + 1))

    async def run() -> None:
        with SQLiteJournal(":memory:") as journal:
            await plan.run(1, run_id="r", journal=journal)  # type: ignore[call-arg]

    anyio.run(run)


def _postgres() -> None:
    from tta_dev_primitives.durable import PostgresJournal

    PostgresJournal("postgresql://127.0.0.1:1/none")


def _dask() -> None:
    from tta_dev_primitives.executor.backends import DaskBackend

    DaskBackend("tcp://127.0.0.1:1")


def _worker_telemetry() -> None:
    """Its class is built from Dask's on import: import it afresh, then put the first one back."""
    import importlib

    name = "tta_dev_primitives.observability._workers"
    imported = sys.modules.pop(name, None)
    try:
        importlib.import_module(name)
    finally:
        if imported is not None:
            sys.modules[name] = imported


def _msgpack() -> None:
    from tta_dev_primitives.stdlib.cache import MsgpackCodec

    MsgpackCodec()


def _redis() -> None:
    from tta_dev_primitives.stdlib.cache import RedisStore

    async def get() -> None:
        await RedisStore("redis://127.0.0.1:1/0").get("k")

    anyio.run(get)


def _provider(name: str) -> Callable[[], None]:
    def pick() -> None:
        from tta_dev_primitives.stdlib.llm.providers.select import chat_model

        chat_model(FakeChatModel("fake"), ["--provider", name])

    return pick


def _serve_mcp() -> None:
    from tta_dev_primitives.mcp import PlanToolServer

    PlanToolServer([compile(node(lambda x: x, name="same"))])


def _mcp_tools() -> None:
    from tta_dev_primitives.mcp import mcp_tools

    async def connect() -> None:
        async with mcp_tools("http://127.0.0.1:1/mcp"):
            pass

    anyio.run(connect)


def _apm() -> None:
    from tta_dev_primitives.apm_metadata import render_apm

    render_apm()


CASES: list[tuple[str, Callable[[], None], str, str]] = [
    ("msgspec", _tool, "agents", "a typed tool or structured output needs msgspec"),
    ("msgspec", _type_schema, "agents", "a typed tool or structured output needs msgspec"),
    ("msgspec", _durable_run, "durable", "a durable run needs msgspec"),
    ("psycopg", _postgres, "postgres", "PostgresJournal needs psycopg"),
    ("distributed", _dask, "dask", "DaskBackend needs distributed"),
    ("distributed.diagnostics.plugin", _worker_telemetry, "dask", "WorkerTelemetry needs distributed.diagnostics.plugin"),
    ("msgpack", _msgpack, "msgpack", "MsgpackCodec needs msgpack"),
    ("redis.asyncio", _redis, "redis", "RedisStore needs redis.asyncio"),
    ("openai", _provider("openai"), "openai", "needs openai"),
    ("anthropic", _provider("anthropic"), "anthropic", "needs anthropic"),
    ("mcp.server", _serve_mcp, "mcp", "serving plans over MCP needs mcp.server"),
    ("mcp", _mcp_tools, "mcp", "mcp_tools needs mcp"),
    ("msgspec", _apm, "apm", "apm.yml (the argument schemas of its MCP tools) needs msgspec"),
]


@pytest.mark.parametrize(("module", "call", "extra", "says"), CASES, ids=[f"{c[1].__name__}-{c[0]}" for c in CASES])
def test_a_missing_dependency_names_its_extra(monkeypatch: pytest.MonkeyPatch, module: str, call: Callable[[], None], extra: str, says: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # type: ignore[arg-type]
    with pytest.raises(MissingExtraError) as caught:
        call()
    assert says in str(caught.value) and str(caught.value).endswith(f": pip install 'tta-dev-primitives[{extra}]'")
    assert (caught.value.module, caught.value.extra) == (module, extra)
    assert isinstance(caught.value, ImportError)  # `except ImportError` keeps working
    assert module in EXTRAS[extra] or module.partition(".")[0] in EXTRAS[extra]


def test_schema_errors_say_msgspec_is_missing_not_that_the_type_has_no_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # type: ignore[arg-type]
    with pytest.raises(ImportError, match="needs msgspec") as caught:
        _type_schema()
    assert "no JSON Schema" not in str(caught.value)


def test_apm_check_without_msgspec_says_which_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tta_dev_primitives.cli import main

    monkeypatch.setitem(sys.modules, "msgspec", None)  # type: ignore[arg-type]
    assert main(["apm", "--check", "--file", str(ROOT / "apm.yml")], out=io.StringIO()) == 1
    assert capsys.readouterr().err.strip() == (
        "error: MissingExtraError: apm.yml (the argument schemas of its MCP tools) needs msgspec: pip install 'tta-dev-primitives[apm]'"
    )


def test_require_gives_the_module_when_it_is_installed() -> None:
    assert require("json", "agents", "test").__name__ == "json"


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_installs_the_modules_it_is_said_to_provide(extra: str) -> None:
    """EXTRAS (what `exit_if_missing` and the examples check) agrees with pyproject.toml: every
    module it lists comes from a distribution the extra installs."""
    assert extra in OPTIONAL, f"{extra!r} is not an extra of pyproject.toml"
    found, installed = providers(), installs(extra)
    for module in EXTRAS[extra]:
        dists = found.get(module.partition(".")[0], set())
        assert dists, f"{module} is not installed here: cannot check the {extra!r} extra"
        assert dists & installed, f"extra {extra!r} lists {module} (from {dists}) but installs {sorted(installed)}"


def test_every_user_facing_extra_is_known() -> None:
    user_facing = set(OPTIONAL) - {"dev", "bench", "docs", "tracing", "all"}
    assert user_facing <= set(EXTRAS)


def test_require_extra_names_every_missing_module_of_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.extras import require_extra

    monkeypatch.setitem(sys.modules, "mcp", None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "msgspec", None)  # type: ignore[arg-type]
    with pytest.raises(MissingExtraError) as caught:
        require_extra("mcp", "the devtools")
    assert str(caught.value) == "the devtools needs mcp, msgspec: pip install 'tta-dev-primitives[mcp]'"
    require_extra("otel", "telemetry")  # installed here: nothing raised


def test_exit_if_missing_says_who_needs_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.extras import exit_if_missing

    monkeypatch.setitem(sys.modules, "openai", None)  # type: ignore[arg-type]
    with pytest.raises(SystemExit) as caught:
        exit_if_missing("agents", "openai", who="--base-url")
    assert caught.value.code == "--base-url needs openai: pip install 'tta-dev-primitives[openai]'"


def test_the_devtools_server_without_the_mcp_extra_asks_for_all_of_it_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not `[agents]` first (for msgspec) and `[mcp]` after: the mcp extra brings both."""
    from tta_dev_primitives.cli import main

    monkeypatch.setitem(sys.modules, "mcp", None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "msgspec", None)  # type: ignore[arg-type]
    assert main(["mcp", "devtools", "--http"], out=io.StringIO()) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: MissingExtraError: tta-primitives mcp devtools needs mcp, msgspec: pip install 'tta-dev-primitives[mcp]'"
    ]


def test_a_script_whose_reader_goes_away_ends_quietly() -> None:
    """`python script.py | head -1`: exit code 1, nothing on stderr (no BrokenPipeError traceback)."""
    import subprocess

    script = (
        "from tta_dev_primitives.extras import quiet_on_closed_pipe\n"
        "with quiet_on_closed_pipe():\n"
        "    for i in range(100_000):\n"
        "        print('line', i)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline() == b"line 0\n"
        proc.stdout.close()  # the reader goes away, as `head -1` does
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 1
    assert err == ""

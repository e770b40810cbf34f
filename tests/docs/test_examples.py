"""The example workflows run end to end on the embedded defaults (fake models, in-memory stores)."""

from __future__ import annotations

import ast
import concurrent.futures
import functools
import importlib.util
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from tests.fixtures.extras import OPTIONAL, importable
from tta_dev_primitives.extras import EXTRAS

EXAMPLES = Path(__file__).parents[2] / "examples"
NAMES = [
    "quickstart",
    "rag_workflow",
    "agentic_rag_workflow",
    "cost_tracking_workflow",
    "streaming_workflow",
    "multi_agent_workflow",
    "agent_tools",
    "structured_extraction",
]


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = _load(name)
    anyio.run(module.main)  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert out.strip()
    expected = {
        "quickstart": "Hello bob!",
        "rag_workflow": "In short: Retries use full-jitter",
        "agentic_rag_workflow": "grounded=True",
        "cost_tracking_workflow": "refused: LLM budget of $0.005 exhausted",
        "streaming_workflow": "3 sentences",
        "multi_agent_workflow": "- fact checker: notes on check facts",
        "agent_tools": "answer: TripAdvice(city='Oslo', pack_umbrella=True, budget_nok=3450.0",
        "structured_extraction": "total 409.50 EUR",
    }[name]
    assert expected in out


def test_there_are_five_example_workflows_besides_the_quickstart() -> None:
    assert len(list(EXAMPLES.glob("*_workflow.py"))) == 5


def test_the_agent_example_shows_its_bound_transcript_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    anyio.run(_load("agent_tools").main)  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "worst-case LLM calls 18" in out and "tools 'tools(weather, population, to_nok)'" in out
    assert "tool      error: to_nok: invalid arguments" in out  # the bad argument went back to the model
    assert "cost: gpt-4o-mini calls=4" in out


def test_the_durable_example_waits_resumes_in_another_process_and_credits_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / "durable_refund.py"), "--journal", str(tmp_path / "refunds.db"), *args],
            capture_output=True, text=True, timeout=60, check=True,
        )
        where, _, rest = proc.stdout.partition("\n")
        assert where == f"journal: {tmp_path / 'refunds.db'}"  # each run says where its journal is
        return rest

    first = run()
    assert "crediting 40 for order-17 (idempotency key refund-order-17/4)" in first
    assert "waiting for 'approve refund': Claim(order='order-17', amount=40)" in first
    assert run() == "waiting for 'approve refund': Claim(order='order-17', amount=40)\n"  # nothing ran again
    assert run("--approve", "no") == "reversing credit cr-order-17\nrefund refused by the support lead (the credit was reversed)\n"
    assert run("--approve", "no") == "run 'refund-order-17' is not waiting for an approval\n"
    assert run("--run-id", "other").count("crediting") == 1
    assert run("--run-id", "other", "--approve", "yes") == "refund closed, approved by the support lead\n"


# -- what each example needs ---------------------------------------------------------------------

ALL_EXAMPLES = sorted(path.stem for path in EXAMPLES.glob("*.py"))
NEEDS = re.compile(r"^Needs: pip install -e (?:'\.\[(?P<extra>[a-z]+)\]'|\.\s)", re.MULTILINE)


def _needs(name: str) -> str | None:
    """The extra an example's docstring says it needs (None: the core install), from its
    `Needs:` line, which must be among the docstring's first lines."""
    docstring = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or ""
    head = "\n".join(docstring.splitlines()[:6]) + "\n"
    found = NEEDS.search(head)
    assert found, f"examples/{name}.py: its docstring's first lines say what to install (Needs: pip install -e '.[extra]')"
    return found["extra"]


def _checked_extras(name: str) -> list[str]:
    """The extras an example checks with `exit_if_missing(...)` at module level."""
    tree = ast.parse((EXAMPLES / f"{name}.py").read_text())
    return [
        arg.value
        for statement in tree.body
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "exit_if_missing"
        for arg in statement.value.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    ]


def test_there_are_eleven_examples() -> None:
    assert len(ALL_EXAMPLES) == 11, ALL_EXAMPLES  # a new one gets its row in the tests below


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_each_example_says_which_extra_it_needs_and_checks_it(name: str) -> None:
    extra = _needs(name)
    if extra is None:
        assert _checked_extras(name) == []
        return
    assert extra in OPTIONAL and extra in EXTRAS, f"examples/{name}.py needs {extra!r}, which is not an extra"
    assert _checked_extras(name) == [extra]
    assert set(EXTRAS[extra]) <= set(EXTRAS["examples"])  # `make demo` installs what every example needs


GUARD = textwrap.dedent(
    """
    import runpy, sys
    allowed, blocked = set(sys.argv[1].split(",")), set(sys.argv[2].split(",")) - {""}

    class Only:
        '''Only the standard library and the given top-level modules import; the blocked ones never.'''
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            stdlib = top in sys.stdlib_module_names or top.startswith("_sysconfigdata")
            if top in blocked or (top not in allowed and not stdlib):
                raise ModuleNotFoundError(f"No module named {name!r} (not installed here)", name=name)
            return None

    sys.meta_path.insert(0, Only())
    sys.argv = sys.argv[3:]
    runpy.run_path(sys.argv[0], run_name=sys.argv.pop())
    """
)


def _guarded(name: str, allowed: set[str], blocked: set[str], *args: str, main: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", GUARD, ",".join(sorted(allowed)), ",".join(sorted(blocked)), str(EXAMPLES / f"{name}.py"), *args]
    return subprocess.run([*argv, "__main__" if main else "example"], capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, cwd=EXAMPLES.parent)


SERVERS = {"stream_server"}
"""Examples whose main serves until stopped: imported (which builds their plans), not run."""
NEEDING = ["agent_tools", "durable_refund", "mcp_tools", "stream_server", "structured_extraction"]
"""The examples that need an extra."""


@pytest.fixture(scope="module")
def guarded_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """Every example run with the core and its extra alone ("alone"), and each example that needs
    an extra run without it ("without"): all at once, each in a fresh interpreter."""
    journal = str(tmp_path_factory.mktemp("durable") / "j.db")
    jobs: dict[tuple[str, str], Callable[[], subprocess.CompletedProcess[str]]] = {}
    for name in ALL_EXAMPLES:
        extra = _needs(name)
        args = ("--journal", journal) if name == "durable_refund" else ()
        allowed = importable(extra) | {"tta_dev_primitives"}
        jobs["alone", name] = functools.partial(_guarded, name, allowed, set(), *args, main=name not in SERVERS)
        if extra is not None:
            blocked = {module.partition(".")[0] for module in EXTRAS[extra]}
            jobs["without", name] = functools.partial(_guarded, name, allowed - blocked, blocked)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_each_example_runs_with_the_core_and_its_extra_alone(name: str, guarded_runs: dict[tuple[str, str], subprocess.CompletedProcess[str]]) -> None:
    """Nothing outside the standard library, the core dependencies and the example's extra (and
    what they require) can be imported: an example needing more than its docstring says fails."""
    proc = guarded_runs["alone", name]
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_the_examples_needing_an_extra_are_these() -> None:
    assert [name for name in ALL_EXAMPLES if _needs(name) is not None] == NEEDING


@pytest.mark.parametrize("name", NEEDING)
def test_without_its_extra_an_example_says_so_in_one_line(name: str, guarded_runs: dict[tuple[str, str], subprocess.CompletedProcess[str]]) -> None:
    extra = _needs(name)
    assert extra is not None
    proc = guarded_runs["without", name]
    assert proc.returncode == 1
    missing = ", ".join(EXTRAS[extra])
    assert proc.stderr.splitlines() == [f"{name}.py needs {missing}: pip install 'tta-dev-primitives[{extra}]'"], proc.stderr


# -- the web demo's mermaid.js -------------------------------------------------------------------


def test_without_mermaid_js_the_web_demo_says_how_to_get_it_and_loads_nothing_from_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("uvicorn")
    module = _load("stream_server")
    monkeypatch.setattr(module, "VENDORED_MERMAID", tmp_path / "absent.js")  # type: ignore[attr-defined]
    monkeypatch.setenv("TTA_MERMAID_JS", "")
    monkeypatch.chdir(tmp_path)  # no ./node_modules
    served: list[object] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    monkeypatch.setattr(sys, "argv", ["stream_server.py"])
    module.main()  # type: ignore[attr-defined]
    assert len(served) == 1
    assert capsys.readouterr().err.splitlines() == [module.MISSING_MERMAID]  # type: ignore[attr-defined]
    page = module.page_html(module.build_plan(), None)  # type: ignore[attr-defined]
    assert 'id="no-mermaid"' in page and "make mermaid" in page
    assert "<script src=" not in page and "cdn." not in page


def test_the_web_demo_serves_the_vendored_mermaid_js_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    module = _load("stream_server")
    vendored = tmp_path / "mermaid.min.js"
    vendored.write_text("/* mermaid */")
    monkeypatch.setattr(module, "VENDORED_MERMAID", vendored)  # type: ignore[attr-defined]
    monkeypatch.setenv("TTA_MERMAID_JS", "")
    assert module.find_mermaid(None) == vendored  # type: ignore[attr-defined]
    assert module.find_mermaid("https://cdn.example/mermaid.js") == "https://cdn.example/mermaid.js"  # only when asked  # type: ignore[attr-defined]
    assert '<script src="/mermaid.js"></script>' in module.page_html(module.build_plan(), vendored)  # type: ignore[attr-defined]


def test_the_web_demo_takes_tta_mermaid_js_as_it_takes_mermaid_js(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    module = _load("stream_server")
    monkeypatch.setenv("TTA_MERMAID_JS", "https://cdn.example/mermaid.js")
    assert module.find_mermaid(None) == "https://cdn.example/mermaid.js"  # type: ignore[attr-defined]
    copy = tmp_path / "mermaid.min.js"
    copy.write_text("/* mermaid */")
    monkeypatch.setenv("TTA_MERMAID_JS", str(copy))
    assert module.find_mermaid(None) == copy  # type: ignore[attr-defined]
    monkeypatch.setenv("TTA_MERMAID_JS", str(tmp_path / "absent.js"))
    with pytest.raises(SystemExit, match=f"^TTA_MERMAID_JS {re.escape(str(tmp_path / 'absent.js'))}: no such file$"):
        module.find_mermaid(None)  # type: ignore[attr-defined]
    assert module.find_mermaid(str(copy)) == copy  # the option wins over the variable  # type: ignore[attr-defined]


# -- the command line ----------------------------------------------------------------------------

MODEL_EXAMPLES = [
    "agent_tools", "agentic_rag_workflow", "cost_tracking_workflow", "multi_agent_workflow", "rag_workflow",
    "stream_server", "streaming_workflow", "structured_extraction",
]
"""The examples that run on a real model when asked (`--provider`, `--base-url`, `--model`)."""
OWN_OPTIONS = {"durable_refund": ["--journal", "--run-id", "--approve"], "mcp_tools": ["--http", "--host", "--port"], "stream_server": ["--host", "--port", "--mermaid-js"]}


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def command_lines() -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """Every example run with `--help` and with `--bogus`, all at once."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = {(name, arg): pool.submit(_script, name, arg) for name in ALL_EXAMPLES for arg in ("--help", "--bogus")}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_each_example_has_a_command_line_that_says_what_it_takes(name: str, command_lines: dict[tuple[str, str], subprocess.CompletedProcess[str]]) -> None:
    helped = command_lines[name, "--help"]
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: {name}.py"), helped.stderr[-3000:]
    summary = (ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or "").split("\n\n")[0]
    assert " ".join(summary.split()) in " ".join(helped.stdout.split())  # the description, not cut mid-sentence
    expected = OWN_OPTIONS.get(name, []) + (["--provider", "--base-url", "--model"] if name in MODEL_EXAMPLES else [])
    assert all(option in helped.stdout for option in expected), helped.stdout
    bogus = command_lines[name, "--bogus"]
    assert bogus.returncode == 2 and bogus.stderr.splitlines()[-1] == f"{name}.py: error: unrecognized arguments: --bogus"


def test_the_examples_taking_a_model_are_these(command_lines: dict[tuple[str, str], subprocess.CompletedProcess[str]]) -> None:
    assert [name for name in ALL_EXAMPLES if "--base-url" in command_lines[name, "--help"].stdout] == MODEL_EXAMPLES


@pytest.mark.parametrize("name", MODEL_EXAMPLES)
def test_an_example_taking_a_model_says_a_real_one_needs_its_sdk(name: str) -> None:
    docstring = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or ""
    needs = next(line for line in docstring.splitlines() if line.startswith("Needs:"))
    assert "a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers" in needs


@pytest.mark.parametrize(
    ("args", "extra", "who"),
    [
        (("--base-url", "http://127.0.0.1:1", "--model", "x"), "openai", "an OpenAI-compatible model (--provider openai, --base-url)"),
        (("--provider", "anthropic"), "anthropic", "a Claude model (--provider anthropic)"),
    ],
    ids=["openai", "anthropic"],
)
def test_a_real_model_without_its_sdk_is_one_line_naming_the_extra(args: tuple[str, ...], extra: str, who: str) -> None:
    allowed = importable("agents") | {"tta_dev_primitives"}
    proc = _guarded("agent_tools", allowed, {extra}, *args)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"{who} needs {extra}: pip install 'tta-dev-primitives[{extra}]'"], proc.stderr


@pytest.mark.parametrize("name", ["quickstart", "rag_workflow"])
def test_an_example_whose_reader_goes_away_ends_quietly(name: str) -> None:
    """`python examples/quickstart.py | head -1`: exit code 1, no BrokenPipeError traceback. Here
    the reader is gone before the first write (`head` may leave at any point of the output)."""
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120, stdin=subprocess.DEVNULL)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (1, "")


def test_the_mcp_example_says_where_it_serves(tmp_path: Path) -> None:
    """The start line comes once the port is bound, with the real port (`--port 0`: a free one),
    so a client can connect at once."""
    pytest.importorskip("mcp")
    import re
    import socket

    argv = [sys.executable, str(EXAMPLES / "mcp_tools.py"), "--http", "--port", "0"]
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True) as proc:
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            match = re.fullmatch(r"serving add, count, explode over MCP streamable HTTP at http://127\.0\.0\.1:(\d+)/mcp \(Ctrl-C stops\)\n", line)
            assert match, line
            with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=10):
                pass  # listening already
        finally:
            proc.terminate()
            proc.wait(timeout=30)

"""The blocking-under-concurrency lint flags a blocking sync node under a parallel or a map
(saying what to do instead), and it names blocking callables, not packages: pure helpers of
`urllib`, `subprocess`, `httpx` or `requests` pass a strict compile, and blocking clients held
as globals or closure variables, or given as the node itself, are found. Nodes are only
compiled here, never run."""

from __future__ import annotations

import functools
import http.client
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests

from tta_dev_primitives import compile, node, parallel
from tta_dev_primitives.compiler.passes import LintError

session = requests.Session()
client = httpx.Client()
db = sqlite3.connect(":memory:")
https = http.client.HTTPSConnection("example.com")  # connects on its first request, not here


@pytest.fixture(autouse=True, scope="module")
def _close_clients() -> Iterator[None]:
    yield
    session.close()
    client.close()
    db.close()


class Clock:
    def sleep(self, seconds: float) -> float:  # the user's own method named like time.sleep
        return seconds


clock = Clock()


def other(x: str) -> str:
    return x


def lints_of(fn: Callable[..., Any]) -> list[str]:
    """The blocking-under-concurrency messages for `fn` run in parallel with a plain node."""
    return [lint.message for lint in compile(parallel(node(fn), node(other))).lints if lint.rule == "blocking-under-concurrency"]


def double(x: int) -> int:
    return 2 * x


def waits(x: int) -> int:
    time.sleep(0)  # a blocking call, as far as the lint can tell
    return x


def items(n: int) -> list[int]:
    return list(range(n))


def test_pure_helpers_of_packages_that_also_do_io_are_not_flagged() -> None:
    def builds_a_url(q: str) -> str:
        return "https://example.com/search?q=" + quote(q) + urllib.parse.urlencode({"q": q})

    def imports_helpers_inside(q: str) -> str:
        import urllib.parse
        from urllib.parse import urlencode

        return urllib.parse.quote(q) + urlencode({"q": q})

    def quotes_a_command(q: str) -> str:
        try:
            return subprocess.list2cmdline([q, "x y"])
        except subprocess.CalledProcessError:
            return ""

    def parses_urls(q: str) -> str:
        return str(httpx.URL("https://example.com", params={"q": q})) + str(httpx.Headers({"a": q}))

    def uses_requests_helpers(q: str) -> str:
        try:
            return requests.utils.requote_uri(q) + str(requests.structures.CaseInsensitiveDict({"a": q}))
        except requests.RequestException:
            return ""

    def builds_a_request(q: str) -> str:  # a pure method of a blocking client
        return str(client.build_request("GET", "https://example.com", params={"q": q}).url)

    def reads_sqlite_names(q: str) -> str:
        return q if sqlite3.Row is not None and issubclass(sqlite3.Error, Exception) else ""

    def sleeps_on_its_own_clock(q: str) -> str:
        return q * int(clock.sleep(1))

    for fn in (builds_a_url, imports_helpers_inside, quotes_a_command, parses_urls, uses_requests_helpers, builds_a_request, reads_sqlite_names, sleeps_on_its_own_clock):
        assert lints_of(fn) == [], fn.__name__
    compile(parallel(node(builds_a_url), node(quotes_a_command), node(parses_urls), node(imports_helpers_inside)), strict=True)


def test_a_blocking_client_held_as_a_global_or_closure_variable_is_found() -> None:
    local_session = requests.Session()

    def fetches(url: str) -> str:
        return str(session.get(url, timeout=5).text)

    def posts(url: str) -> str:
        return client.post(url).text

    def queries(url: str) -> str:
        return str(db.execute("select 1").fetchall())

    def fetches_through_a_closure(url: str) -> str:
        return str(local_session.get(url).text)

    def requests_over_an_inherited_method(url: str) -> str:
        https.request("GET", url)
        return url

    try:
        for fn, use in [
            (fetches, "requests.Session.get"),
            (posts, "httpx.Client.post"),
            (queries, "sqlite3.Connection.execute"),
            (fetches_through_a_closure, "requests.Session.get"),
            (requests_over_an_inherited_method, "http.client.HTTPSConnection.request"),
        ]:
            (message,) = lints_of(fn)
            assert f"uses {use}" in message, (fn.__name__, message)
        with pytest.raises(LintError, match="blocking-under-concurrency"):
            compile(parallel(node(fetches), node(other)), strict=True)
    finally:
        local_session.close()


def test_blocking_functions_are_named_where_they_are_imported_from() -> None:
    from requests import get

    def module_call(url: str) -> str:
        return str(requests.get(url).text)

    def imported_function(url: str) -> str:
        return str(get(url).text)

    def imports_inside(cmd: str) -> str:
        import httpx
        from subprocess import run

        run([cmd], check=False)
        return httpx.get(cmd).text

    assert "uses requests.get" in lints_of(module_call)[0]
    assert "uses requests.get" in lints_of(imported_function)[0]
    (message,) = lints_of(imports_inside)
    assert "uses subprocess.run, httpx.get" in message


def test_a_node_that_is_a_blocking_builtin_or_a_partial_of_one_is_found() -> None:
    blocking: list[tuple[Callable[..., Any], str]] = [
        (time.sleep, "time.sleep"),
        (functools.partial(time.sleep, 0), "time.sleep"),
        (db.execute, "sqlite3.Connection.execute"),
        (session.get, "requests.Session.get"),
    ]
    for fn, use in blocking:
        (message,) = lints_of(fn)
        assert f"uses {use}" in message, (fn, message)
    assert compile(parallel(node(blocking[0][0], thread=True), node(other))).lints == ()
    assert lints_of(functools.partial(other, "x")) == []


def test_proxies_that_refuse_every_attribute_are_skipped() -> None:
    class Proxy:  # like a framework's context-local proxy outside its context
        @property  # type: ignore[misc]
        def __class__(self) -> type:
            raise RuntimeError("working outside of application context")

        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("working outside of application context")

    proxy = Proxy()

    def uses_proxy(url: str) -> str:
        return str(proxy.get(url))

    assert lints_of(uses_proxy) == []


@pytest.mark.anyio
async def test_plan_map_warns_about_a_blocking_sync_node_it_would_run_on_the_event_loop() -> None:
    import time as clock

    from tta_dev_primitives import BlockingCallWarning, compile, node

    def slow(x: int) -> int:
        clock.sleep(0)
        return x

    plan = compile(node(slow))
    with pytest.warns(BlockingCallWarning, match=r"plan 'slow'\.map runs 'slow', a sync function that looks blocking \(uses time\.sleep\)"):
        assert await plan.map([1, 2]) == [1, 2]
    assert await plan.map([1, 2], concurrency=1) == [1, 2]  # one at a time: nothing waits for it
    assert await compile(node(slow, thread=True)).map([1, 2]) == [1, 2]  # in a thread: no warning


@pytest.mark.anyio
async def test_plan_map_refuses_a_bad_concurrency_with_a_config_error() -> None:
    from tta_dev_primitives import ConfigError, compile, node

    with pytest.raises(ConfigError, match="concurrency"):
        await compile(node(lambda x: x, name="same")).map([1, 2], concurrency="4")  # type: ignore[arg-type]


def test_a_client_made_inside_the_function_is_found() -> None:
    import socket
    import subprocess

    import httpx
    import requests

    from tta_dev_primitives.compiler.passes._blocking import blocking_names

    def with_httpx(url: str) -> int:
        with httpx.Client() as client:
            return client.get(url).status_code

    def with_session(url: str) -> str:
        with requests.Session() as session:
            return session.get(url).text

    def with_socket(host: str) -> None:
        socket.socket().connect((host, 80))

    def with_popen(cmd: str) -> object:
        return subprocess.Popen([cmd]).communicate()

    def with_async_client(url: str) -> object:
        return httpx.AsyncClient()  # makes coroutines only: not blocking here

    assert blocking_names(with_httpx) == ["httpx.Client"] and blocking_names(with_session) == ["requests.Session"]
    assert blocking_names(with_socket) == ["socket.socket"] and blocking_names(with_popen) == ["subprocess.Popen"]
    assert blocking_names(with_async_client) == []


def test_a_blocking_sync_node_under_parallel_or_map_gets_a_lint() -> None:
    under_map = compile(node(items).map(node(waits)))
    (lint,) = under_map.lints
    assert lint.rule == "blocking-under-concurrency" and lint.node == "waits"
    assert "uses time.sleep" in lint.message and "under map 'map(waits)'" in lint.message and "thread=True" in lint.message
    (lint,) = compile(parallel(node(waits), node(double))).lints
    assert "under parallel" in lint.message
    assert "blocking-under-concurrency" in compile(parallel(node(waits), node(double))).explain()
    # in a thread, alone in a sequence, or a sync node that does not block: nothing to say
    assert compile(parallel(node(waits, thread=True), node(double))).lints == ()
    assert compile(node(waits) >> node(double)).lints == ()
    assert compile(node(items).map(node(double))).lints == ()
    with pytest.raises(LintError, match="blocking-under-concurrency"):
        compile(node(items).map(node(waits)), strict=True)


def test_the_lint_resolves_what_a_function_calls_not_what_its_names_look_like() -> None:
    import functools
    import os
    from time import sleep as nap

    class Job:
        input = "x"
        sleep = 0

    def reads_fields(job: Job) -> int:  # attributes and locals named like blocking calls
        sleep = job.sleep
        return len(job.input) + sleep

    def naps(job: Job) -> int:
        nap(0)
        return 1

    def shells(job: Job) -> int:
        return os.system("true")

    @functools.wraps(reads_fields)
    def decorated(job: Job) -> int:
        time.sleep(0)
        return 1

    class Callable_:
        def __call__(self, job: Job) -> int:
            time.sleep(0)
            return 1

    assert compile(parallel(node(reads_fields), node(reads_fields))).lints == ()
    for fn, use in [(naps, "time.sleep"), (shells, "os.system"), (decorated, "time.sleep"), (Callable_(), "time.sleep"), (functools.partial(naps), "time.sleep")]:
        lints = compile(parallel(node(fn), node(reads_fields))).lints  # type: ignore[arg-type]
        assert len(lints) == 1 and f"uses {use}" in lints[0].message, fn


def test_the_lint_reads_nested_code_and_skips_remote_bodies() -> None:
    def fetch_all(urls: list[str]) -> list[int]:
        import urllib.request

        return [len(urllib.request.urlopen(u).read()) for u in urls]

    (lint,) = compile(parallel(node(fetch_all), node(fetch_all))).lints[:1]
    assert "urllib.request" in lint.message
    assert compile(node(items).map(node(waits).remote())).lints == ()  # runs on a backend's worker


def test_the_lint_ignores_locals_captured_by_inner_functions_and_proxies_that_raise() -> None:
    class Proxy:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("working outside of application context")

    proxy = Proxy()

    def handle(input: int) -> int:  # `input` is a local captured by the lambda, not the builtin
        return sorted([1, 2], key=lambda k: input + k)[0]

    def uses_proxy(x: int) -> int:
        return x if proxy is not None else 0

    def imports_inside(x: int) -> int:
        import time

        time.sleep(0)
        return x

    assert compile(parallel(node(handle), node(uses_proxy))).lints == ()
    (lint,) = compile(parallel(node(imports_inside), node(handle))).lints
    assert "uses time.sleep" in lint.message

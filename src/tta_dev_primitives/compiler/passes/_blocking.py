"""What the `blocking-under-concurrency` lint counts as blocking, and how it finds it in code.

The table names blocking callables, never whole packages: `urllib.parse.quote`,
`subprocess.list2cmdline`, `httpx.URL` or `requests.utils` are pure, and under
`compile(..., strict=True)` a false positive is an error. A use is matched as spelled (the
import path the code wrote; an instance's attribute by the instance's type, so a global
`session = requests.Session()` makes `session.get` `requests.Session.get`) and as resolved
(what the attribute really is, named where the library defines it, so an inherited method or a
re-export is found too). The lint only reads: it imports nothing and triggers no `__getattr__`.
"""

from __future__ import annotations

import builtins
import contextlib
import dis
import functools
import inspect
import sys
import types

from collections.abc import Iterator, Mapping, MutableMapping, Sequence


def _each(owner: str, names: str) -> set[str]:
    return {f"{owner}.{name}" for name in names.split()}


_HTTP = "request get options head post put patch delete"

BLOCKING: frozenset[str] = frozenset({
    "time.sleep", "builtins.input", "select.select",
    *_each("os", "system popen wait waitpid wait3 wait4 waitid"),
    *_each("subprocess", "run call check_call check_output getoutput getstatusoutput Popen.wait Popen.communicate"),
    *_each("socket", "create_connection getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr"),
    *_each("socket.socket", "connect connect_ex accept recv recvfrom recv_into recvfrom_into send sendall sendto sendfile"),
    *_each("urllib.request", "urlopen urlretrieve OpenerDirector.open"),
    *_each("http.client.HTTPConnection", "connect request getresponse"),
    *_each("smtplib.SMTP", "connect login ehlo helo starttls sendmail send_message"),
    *_each("ftplib.FTP", "connect login retrbinary retrlines storbinary storlines nlst dir"),
    *_each("requests", _HTTP), *_each("requests.Session", f"{_HTTP} send"),
    *_each("httpx", f"{_HTTP} stream"), *_each("httpx.Client", f"{_HTTP} send stream"),
    "urllib3.request", *_each("urllib3.RequestMethods", "request request_encode_url request_encode_body"),
    "urllib3.PoolManager.urlopen", "urllib3.HTTPConnectionPool.urlopen",
    "sqlite3.connect", *_each("sqlite3.Connection", "execute executemany executescript commit rollback backup"),
    *_each("sqlite3.Cursor", "execute executemany executescript fetchone fetchmany fetchall"),
    "psycopg.connect", *_each("psycopg.Connection", "connect execute commit rollback"),
    *_each("psycopg.Cursor", "execute executemany copy"),
    "psycopg2.connect", *_each("psycopg2.extensions.connection", "commit rollback"),
    *_each("psycopg2.extensions.cursor", "execute executemany callproc copy_expert"),
    "pymysql.connect", *_each("pymysql.Connection", "query commit rollback ping"),
    *_each("pymysql.Cursor", "execute executemany callproc"),
    "boto3.client", "boto3.resource", "botocore.client.ClientCreator._create_api_method.<locals>._api_call",
})
"""Blocking callables, by the path they are imported from (`requests.get`, not
`requests.api.get`); a method by its class (`sqlite3.Connection.execute`). Async clients
(`httpx.AsyncClient`) are absent: in a sync function they only make coroutines."""

ALIASES: Mapping[str, str] = {
    "posix": "os", "nt": "os", "_socket": "socket", "_sqlite3": "sqlite3",
    "requests.api": "requests", "requests.sessions": "requests", "httpx._api": "httpx", "httpx._client": "httpx",
    "urllib3._request_methods": "urllib3", "urllib3.poolmanager": "urllib3", "urllib3.connectionpool": "urllib3",
    "psycopg.connection": "psycopg", "psycopg.cursor": "psycopg", "pymysql.connections": "pymysql", "pymysql.cursors": "pymysql",
}
"""Modules that define what another exports: `requests.sessions.Session.get` is `requests.Session.get`."""

_CLIENTS: frozenset[str] = frozenset(entry.rsplit(".", 1)[0] for entry in BLOCKING)
"""What owns a blocking callable: a class among them (`requests.Session`, `socket.socket`,
`smtplib.SMTP`, which connects as it is made) counts where it is named, as code that names it
makes one to call its methods; modules among them (`time`) are matched only as classes are."""

_FUNCTIONS = (
    type, types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType,
    types.WrapperDescriptorType, types.ClassMethodDescriptorType,
)
_MISSING = object()


def _public(path: str) -> str:
    """`path` with its longest prefix that is a defining module replaced by the exporting one."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        exporter = ALIASES.get(".".join(parts[:i]))
        if exporter is not None:
            return ".".join([exporter, *parts[i:]])
    return path


def _name(value: object) -> str | None:
    """The public `module.qualname` of a module, class or function (a partial or bound method by
    what it calls; a C method by its class); None for anything else, such as an instance."""
    for _ in range(8):
        if isinstance(value, functools.partial):
            value = value.func
        elif isinstance(value, (types.MethodType, classmethod, staticmethod)):
            value = value.__func__
        else:
            break
    if isinstance(value, types.ModuleType):
        return _public(value.__name__)
    if not isinstance(value, _FUNCTIONS):
        return None
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str):  # a method of a C type: sqlite3.Connection.execute, db.execute
        owner = getattr(value, "__objclass__", None) or type(getattr(value, "__self__", None))
        module = getattr(owner, "__module__", None)
    return _public(f"{module}.{qualname}") if isinstance(module, str) and isinstance(qualname, str) else None


def _attribute(value: object, name: str) -> object:
    """`value.name` read without running code: a module's own dict (no lazy `__getattr__`
    imports), else `inspect.getattr_static` (no properties, no proxy `__getattr__`)."""
    if isinstance(value, types.ModuleType):
        return vars(value).get(name)
    return inspect.getattr_static(value, name, None)


def _loaded(path: str) -> object:
    """What a dotted import path names if its module is already imported, else None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            value: object = module
            for part in parts[i:]:
                value = _attribute(value, part)
            return value
    return None


def _use(value: object, attributes: Sequence[str], spelled: str | None = None) -> str | None:
    """The blocking callable that `value` (spelled `spelled` if it was imported by path), or an
    attribute chain read from it, reaches, as spelled; None if none, or if `value` cannot even
    say what it is. An instance is named by its type but is no use itself, only its methods."""
    try:
        instance = spelled is None and _name(value) is None
        if spelled is None:
            spelled = _name(type(value) if instance else value)
        for step in range(len(attributes) + 1):
            if step:
                value = _attribute(value, attributes[step - 1])
                spelled = None if spelled is None else f"{spelled}.{attributes[step - 1]}"
            if step == 0 and instance:
                continue
            if spelled in BLOCKING or _name(value) in BLOCKING:
                return spelled or _name(value)
            if isinstance(value, type) and (spelled in _CLIENTS or _name(value) in _CLIENTS):
                return spelled or _name(value)  # a client made here (`with httpx.Client() as c`) to call its methods
    except Exception:  # noqa: BLE001 - a lint never breaks compilation
        return None
    return None


def _attributes_after(instructions: list[dis.Instruction], i: int) -> list[str]:
    """The attribute chain read from what instruction `i` loads: `urllib.request.urlopen`."""
    found: list[str] = []
    for later in range(i + 1, len(instructions)):
        if instructions[later].opname not in ("LOAD_ATTR", "LOAD_METHOD"):
            break
        found.append(str(instructions[later].argval))
    return found


def _uses(
    instructions: list[dis.Instruction], names: Mapping[str, object], closure: Mapping[str, object], imported: MutableMapping[str, str]
) -> Iterator[str]:
    """The blocking uses in one code object: globals (and builtins), closure variables and names
    imported inside the function (`imported`, shared with its nested code), each with the
    attributes read from it; a local captured by an inner function is none of these."""
    module: str | None = None  # the module of the import being read
    fromlist: object = None
    for i, instruction in enumerate(instructions):
        op, name = instruction.opname, str(instruction.argval)
        if op == "IMPORT_NAME":
            module, fromlist = name, instructions[i - 1].argval if i else None
            continue
        if op in ("STORE_FAST", "STORE_NAME", "STORE_DEREF") and module is not None:
            previous = instructions[i - 1]
            if previous.opname == "IMPORT_NAME":  # `import a.b` binds `a`
                imported[name] = module.split(".")[0]
            elif previous.opname == "IMPORT_FROM":  # `import a.b as c`, `from a import b`
                imported[name] = module if fromlist is None else f"{module}.{previous.argval}"
            following = instructions[i + 1] if i + 1 < len(instructions) else None
            if following is None or following.opname != "IMPORT_FROM":
                module = None
            continue
        use = None
        if op in ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF") and name in imported:
            use = _use(_loaded(imported[name]), _attributes_after(instructions, i), _public(imported[name]))
        elif op == "LOAD_DEREF" and name in closure:
            use = _use(closure[name], _attributes_after(instructions, i))
        elif op in ("LOAD_GLOBAL", "LOAD_NAME"):
            value = names.get(name, getattr(builtins, name, _MISSING))
            use = None if value is _MISSING else _use(value, _attributes_after(instructions, i))
        if use is not None:
            yield use


def _callables(fn: object) -> Iterator[object]:
    """`fn` and what it calls through decorators (`__wrapped__`), partials, bound methods and
    callable instances."""
    for _ in range(8):
        yield fn
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        elif hasattr(fn, "__func__"):
            fn = fn.__func__
        elif not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type)) and callable(fn):
            fn = getattr(type(fn), "__call__", None)
        else:
            return


def blocking_names(fn: object) -> list[str]:
    """The blocking calls a node's callable makes, in order: the callable itself if it is one
    (`node(time.sleep)`, a partial of it: a builtin has no code to read), and those its Python
    code makes through its globals, closure and imports, nested code (comprehensions, inner
    functions) too. A blocking call inside a helper it calls is not seen."""
    found: dict[str, None] = {}
    for callable_ in _callables(fn):
        itself = _use(callable_, ())
        if itself is not None:
            found[itself] = None
        if not isinstance(callable_, types.FunctionType):
            continue
        closure: dict[str, object] = {}
        for free, cell in zip(callable_.__code__.co_freevars, callable_.__closure__ or ()):
            with contextlib.suppress(ValueError):  # an empty cell
                closure[free] = cell.cell_contents
        imported: dict[str, str] = {}  # local name -> the path an import inside the function bound to it
        stack = [callable_.__code__]
        while stack:
            current = stack.pop()
            for use in _uses(list(dis.get_instructions(current)), callable_.__globals__, closure, imported):
                found[use] = None
            stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return list(found)

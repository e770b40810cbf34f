"""Store keys for one cached computation: what is cached, for whom, and for which input.

A key must identify the computation, not only the input: one Cache on two nodes, two caches on
one SQLite file or one Redis prefix, or one `cached(...)` decorator on two functions must never
answer one computation's input with the other's result. So every stored key joins three parts,
in a form where no two different triples give the same key:

- the tenant `namespace` (None or a str);
- the computation: in memory, an in-process identity token (the callables themselves, so an id
  is never reused while an entry could match); in a persistent store, a name that is the same
  in every process: the cache's `scope=`, or the module-qualified names of the callables;
- the input (or the result of `key=`, tagged apart from plain inputs).

Memory keys are tuples (exact and cheap: scalars are keyed by type and value, floats by their
hex form so `-0.0 != 0.0` and NaN finds itself, structured inputs by their in-process form, see
`_forms`; a cache keyed by `llm_key` uses its in-process equivalent, `llm_form`); persistent
keys are the SHA-256 of the canonical JSON of the triple, stable across processes and versions.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Hashable

from ._forms import form_text, llm_form, memory_form
from ._keys import canonical_key, llm_key

__all__ = ["KEY_FORMAT", "Binding", "Token", "key_label", "token_for"]

KEY_FORMAT = "tta-cache/2"
"""Part of every persistent key: entries written by an older key scheme are never read."""

INPUT, CUSTOM = 0, 1
"""Tags of the keyed value: the node's input, or what the cache's `key=` function returned."""

_IN_MEMORY: dict[object, Callable[[object], Hashable]] = {llm_key: llm_form}
"""Key functions with an in-process equivalent (equal results exactly when the function's are
equal) that an in-memory store uses instead: no JSON, no digest on the hit path."""

_FORM_OF = object()
"""The `kind` part of a memory key whose payload is the in-process equivalent of a `key=`
result (never a type, so never equal to a key of the result itself)."""

_EXACT = frozenset({str, int, bool, bytes, type(None)})


class Token:
    """The in-process identity of one cached computation (interned: equal computations share
    one token, so a plan compiled twice keeps its cache entries)."""

    __slots__ = ("__weakref__", "identity", "label")

    def __init__(self, identity: Hashable, label: str) -> None:
        self.identity = identity
        self.label = label

    def __repr__(self) -> str:
        return f"<computation {self.label}>"


_tokens: weakref.WeakValueDictionary[Hashable, Token] = weakref.WeakValueDictionary()
_tokens_lock = threading.Lock()


def token_for(identity: Hashable, label: str) -> Token:
    """The token of the computation with this identity (one per identity while it is in use)."""
    with _tokens_lock:
        token = _tokens.get(identity)
        if token is None:
            token = _tokens[identity] = Token(identity, label)
        return token


class Binding:
    """A Cache bound to one computation: turns inputs into store keys.

    `stable` is None for memory stores (the token identifies the computation) and the
    cross-process computation name for persistent ones. `key_of(x)` keys a node's input
    (through the cache's `key=` function when it has one); `input_key` and `custom_key` key a
    value as an input or as a `key=` result, for callers that compute those themselves.
    """

    __slots__ = ("__weakref__", "custom_key", "input_key", "key_of", "label", "stable", "token")

    def __init__(
        self, token: Token, *, namespace: str | None, stable: str | None, key_fn: Callable[[object], object] | None
    ) -> None:
        self.token = token
        self.stable = stable
        self.label = token.label
        self.input_key = _key_function(token, namespace, stable, INPUT)
        self.custom_key = _key_function(token, namespace, stable, CUSTOM)
        if key_fn is None:
            self.key_of = self.input_key
        elif stable is None and (form := _in_memory(key_fn)) is not None:
            self.key_of = lambda x: (namespace, token, CUSTOM, _FORM_OF, form(x))
        else:
            custom, key = self.custom_key, key_fn
            self.key_of = lambda x: custom(key(x))


def _in_memory(key_fn: Callable[[object], object]) -> Callable[[object], Hashable] | None:
    """The in-process equivalent of this key function, if it has one (matched by identity: a
    key function need not be hashable)."""
    return next((form for known, form in _IN_MEMORY.items() if known is key_fn), None)


def _key_function(token: Token, namespace: str | None, stable: str | None, tag: int) -> Callable[[object], Hashable]:
    """The per-call key function, specialised once per binding (the hit path runs it)."""
    if stable is not None:
        return lambda value: canonical_key((KEY_FORMAT, namespace, stable, tag, value))

    def memory_key(value: object) -> Hashable:
        kind = type(value)
        if kind in _EXACT:
            return (namespace, token, tag, kind, value)
        if kind is float:
            return (namespace, token, tag, float, value.hex())  # type: ignore[attr-defined]
        return (namespace, token, tag, None, memory_form(value))

    return memory_key


_LABEL_SECRET = os.urandom(16)


def key_label(key: Hashable) -> str:
    """What hooks and spans see of a key: a keyed hash, equal for equal keys in this process,
    that reveals nothing of the input (keys can hold raw prompts or ids). Never the key itself."""
    if isinstance(key, tuple):
        namespace, token, tag, kind, payload = key
        shown = form_text(payload)  # equal for equal forms, whatever order a frozenset keeps
        text = repr((namespace, token.label, tag, getattr(kind, "__qualname__", None), shown))
    else:
        text = str(key)
    return hashlib.blake2b(text.encode(errors="surrogatepass"), key=_LABEL_SECRET, digest_size=8).hexdigest()

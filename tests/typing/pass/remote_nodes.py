from tta_dev_primitives import DaskBackend, LocalBackend, compile, node, use_backend


@node
def score(text: str) -> float:
    return float(len(text))


remote = score.remote()
reveal_type(remote)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.float]"
on_dask = score.remote(DaskBackend("tcp://127.0.0.1:8786"))
reveal_type(on_dask)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.float]"

@node
def words(n: int) -> list[str]:
    return [str(i) for i in range(n)]


plan = compile(words.map(score.remote(LocalBackend())))
reveal_type(plan)  # N: Revealed type is "tta_dev_primitives.plan.Plan[builtins.int, builtins.list[builtins.float]]"

with use_backend(LocalBackend()) as backend:
    reveal_type(backend)  # N: Revealed type is "tta_dev_primitives.executor.backends._base.Backend"

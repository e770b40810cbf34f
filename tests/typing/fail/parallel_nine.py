from tta_dev_primitives import combine, node, parallel


def size(text: str) -> int:
    return len(text)


step = node(size)
# `parallel` and `combine` are typed for 2 to 8 branches; the error names `parallel_all`.
nine = parallel(step, step, step, step, step, step, step, step, step)  # E: No overload variant of "parallel" matches  # N:     def [I] parallel(Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], UseParallelAllForMoreThan8Branches, /, *more: object, name: str | None = ...) -> UseParallelAllForMoreThan8Branches
total = combine(lambda *n: sum(n), step, step, step, step, step, step, step, step, step)  # E: No overload variant of "combine" matches  # N:     def [R, I] combine(Callable[..., R], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], Node[I, object], UseParallelAllForMoreThan8Branches, /, *more: object, name: str | None = ...) -> UseParallelAllForMoreThan8Branches

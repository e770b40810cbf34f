from tta_dev_primitives import Node, node


@node
def only_ints(value: int) -> object:
    return value


# A node that needs ints cannot stand where any object may arrive.
wrong: Node[object, object] = only_ints  # E: Incompatible types in assignment (expression has type "Node[int, object]", variable has type "Node[object, object]")  [assignment]

from tta_dev_primitives import Node, node


def accepts_anything(value: object) -> bool:
    return bool(value)


general = node(accepts_anything)
# Input is contravariant and output covariant: a Node[object, bool] is a Node[int, object].
narrowed: Node[int, object] = general


def needs(step: Node[str, int]) -> None:
    pass


def any_to_bool(value: object) -> bool:
    return True


needs(node(any_to_bool))  # bool is an int, and object accepts str

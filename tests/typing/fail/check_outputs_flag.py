from tta_dev_primitives import OutputTypeError, check_outputs

previous: bool = check_outputs(True)
check_outputs("yes")  # E: Argument 1 to "check_outputs" has incompatible type "str"; expected "bool"  [arg-type]


def node_of(error: OutputTypeError) -> str:
    return error.node

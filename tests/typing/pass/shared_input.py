from tta_dev_primitives import Node, branch, const, node, parallel


class Animal:
    pass


class Dog(Animal):
    pass


class Cat(Animal):
    pass


def size(text: str) -> int:
    return len(text)


def describe(value: object) -> str:
    return repr(value)


def adopt_dog(name: str) -> Dog:
    return Dog()


def adopt_cat(name: str) -> Cat:
    return Cat()


# The first branch fixes the input type; later ones may take a wider one.
mixed = parallel(node(size), node(describe), const(1.5))
reveal_type(mixed)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, tuple[builtins.int, builtins.str, builtins.float]]"

# Arms whose outputs share a supertype: name it with `out=`.
pet = branch(lambda name: name.startswith("d"), node(adopt_dog), node(adopt_cat), out=Animal)
reveal_type(pet)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, shared_input.Animal]"

# The `otherwise` arm may return a subtype of what `then` returns.
def adopt_any(name: str) -> Animal:
    return Animal()


fallback_pet: Node[str, Animal] = branch(lambda name: name == "", node(adopt_any), node(adopt_dog))

from tta_dev_primitives import branch, node


class Animal:
    pass


class Dog(Animal):
    pass


class Cat(Animal):
    pass


def adopt_dog(name: str) -> Dog:
    return Dog()


def adopt_cat(name: str) -> Cat:
    return Cat()


# Arms whose outputs only share a supertype: the first arm fixes the result type, so this is an
# error; `out=Animal` says which supertype is meant (see pass/shared_input.py).
pet = branch(lambda name: name.startswith("d"), node(adopt_dog), node(adopt_cat))  # E: Cannot infer value of type parameter "R" of "branch"  [misc]

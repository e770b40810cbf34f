"""The typed DSL: nodes, `node()`, operators and combinators."""

from ._combinators import branch, combine, const, for_each, loop, parallel, parallel_all
from ._composite import BranchNode, CastNode, Chain, ConstNode, LoopNode, MapNode, ParallelNode
from ._function import FunctionNode, as_node, node, node_with
from ._location import SourceLocation
from ._core import Node
from ._traits import Traits
from ._types import UNKNOWN

__all__ = [
    "UNKNOWN",
    "BranchNode",
    "CastNode",
    "Chain",
    "ConstNode",
    "FunctionNode",
    "LoopNode",
    "MapNode",
    "Node",
    "ParallelNode",
    "SourceLocation",
    "Traits",
    "as_node",
    "branch",
    "combine",
    "const",
    "for_each",
    "loop",
    "node",
    "node_with",
    "parallel",
    "parallel_all",
]

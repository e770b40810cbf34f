"""The typed DSL: nodes, `node()`, operators and combinators."""

from .combinators import branch, combine, for_each, parallel, parallel_all
from .composite import BranchNode, CastNode, Chain, MapNode, ParallelNode
from .function import FunctionNode, as_node, node
from .location import SourceLocation
from .core import Node
from .types import UNKNOWN

__all__ = [
    "UNKNOWN",
    "BranchNode",
    "CastNode",
    "Chain",
    "FunctionNode",
    "MapNode",
    "Node",
    "ParallelNode",
    "SourceLocation",
    "as_node",
    "branch",
    "combine",
    "for_each",
    "node",
    "parallel",
    "parallel_all",
]

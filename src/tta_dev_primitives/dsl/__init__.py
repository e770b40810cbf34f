"""The typed DSL: nodes, `node()`, operators and combinators."""

from .combinators import branch, combine, const, for_each, loop, parallel, parallel_all
from .composite import BranchNode, CastNode, Chain, ConstNode, LoopNode, MapNode, ParallelNode
from .function import FunctionNode, as_node, node, node_with
from .location import SourceLocation
from .core import Node
from .traits import Traits
from .types import UNKNOWN

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

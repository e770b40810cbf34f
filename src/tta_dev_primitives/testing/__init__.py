"""The original package's `tta_dev_primitives.testing`: MockPrimitive and WorkflowTestCase."""

from .mocks import MockPrimitive, WorkflowTestCase

__all__ = ["MockPrimitive", "WorkflowTestCase"]

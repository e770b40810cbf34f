"""The original `SupabasePrimitive`: select, insert, update and delete on a Supabase table
through the official `supabase` client (extra `supabase`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio.to_thread

from ..extras import require

require("pydantic", "supabase", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive  # noqa: E402
from ..errors import ConfigError  # noqa: E402

__all__ = ["FILTER_OPERATORS", "SupabasePrimitive", "SupabaseRequest", "SupabaseResponse"]

OPERATIONS = ("select", "insert", "update", "delete")

FILTER_OPERATORS = frozenset(
    {
        *("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "is_", "in_"),
        *("like_all_of", "like_any_of", "ilike_all_of", "ilike_any_of", "contains", "contained_by", "cs", "cd", "ov", "overlaps"),
        *("fts", "plfts", "phfts", "wfts", "sl", "sr", "nxl", "nxr", "adj"),
        *("range_gt", "range_gte", "range_lt", "range_lte", "range_adjacent"),
    }
)
"""The filters a `{"column": {"operator": value}}` filter may name: the query builder's methods
that take a column and a value (PostgREST's operators)."""


class SupabaseRequest(BaseModel):
    """Request model for Supabase primitive."""

    operation: str = Field(description="Database operation: 'select', 'insert', 'update', 'delete'")
    table: str = Field(description="Table name to operate on")
    data: dict[str, Any] | list[dict[str, Any]] | None = Field(default=None, description="Data for insert/update operations")
    filters: dict[str, Any] | None = Field(default=None, description="Filter conditions for select/update/delete")
    columns: str | None = Field(default=None, description="Columns to select (default: '*')")


class SupabaseResponse(BaseModel):
    """Response model for Supabase primitive."""

    data: list[dict[str, Any]] | dict[str, Any] | None = Field(description="Query result data")
    count: int | None = Field(default=None, description="Number of rows affected")
    status: str = Field(description="Operation status")


def _filtered(query: Any, filters: Mapping[str, Any] | None) -> Any:
    """`query` with `filters`: `{"age": 25}` is `eq`, `{"age": {"gte": 18}}` names the operator."""
    for column, value in (filters or {}).items():
        if not isinstance(value, Mapping):
            query = query.eq(column, value)
            continue
        for operator, operand in value.items():
            if operator not in FILTER_OPERATORS:
                raise ConfigError("SupabasePrimitive", f"filters[{column!r}]", f"operators among {sorted(FILTER_OPERATORS)}", operator)
            query = getattr(query, operator)(column, operand)
    return query


class SupabasePrimitive(WorkflowPrimitive[SupabaseRequest, SupabaseResponse]):
    """CRUD on Supabase tables: `client` is the `supabase.Client` (`create_client(url, key,
    **kwargs)`), `url` the project's URL.

    The query is built as the original built it; the client is synchronous, so its `execute()`
    (the HTTP request to PostgREST) runs in a worker thread, never blocking the event loop. Its
    failures (`postgrest.APIError`, httpx's errors) pass as they are."""

    def __init__(self, url: str, key: str, **kwargs: Any) -> None:
        supabase = require("supabase", "supabase", "SupabasePrimitive")
        super().__init__()
        self.client = supabase.create_client(url, key, **kwargs)
        self.url = url

    async def execute(self, input_data: SupabaseRequest, context: WorkflowContext) -> SupabaseResponse:
        """The operation `input_data` names, on its table."""
        operation = input_data.operation.lower()
        if operation not in OPERATIONS:
            raise ValueError(f"Invalid operation: {operation}. Must be one of: select, insert, update, delete")
        if operation in ("insert", "update") and not input_data.data:
            raise ValueError(f"{operation.upper()} operation requires 'data' field")
        table = self.client.table(input_data.table)
        if operation == "select":
            query = _filtered(table.select(input_data.columns or "*"), input_data.filters)
        elif operation == "insert":
            query = table.insert(input_data.data)
        elif operation == "update":
            query = _filtered(table.update(input_data.data), input_data.filters)
        else:
            query = _filtered(table.delete(), input_data.filters)
        response = await anyio.to_thread.run_sync(query.execute)
        data = response.data
        return SupabaseResponse(data=data, count=None if data is None else len(data), status="success")

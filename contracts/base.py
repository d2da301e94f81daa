"""Frozen base model and table metadata shared by every contract (pydantic only, no heavy imports)."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict


class LakecastModel(BaseModel):
    """Immutable pydantic base for every row and API contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class TableSpec:
    """How one Iceberg table is named, keyed, laid out and documented.

    `partition_by` holds Iceberg partition transforms (e.g. ``years(month_start)``, ``bucket(8, dfu_id)``,
    or a bare column for identity). Only transforms proven to read back identically through DuckDB are used
    (see docs/decisions.md: DuckDB 1.4.4 mis-prunes ``months()`` and identity-``date`` partitions).
    """

    namespace: str
    name: str
    model: type[LakecastModel]
    grain: str
    primary_key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    sort_by: tuple[str, ...] = ()
    served: bool = False
    description: str = ""
    # foreign keys checked by the quality gates: column -> "namespace.table.column"
    references: dict[str, str] = field(default_factory=dict)

    @property
    def fqn(self) -> str:
        return f"{self.namespace}.{self.name}"

    def columns(self) -> list[tuple[str, type, bool, str]]:
        """Return (name, python type, nullable, description) for every column, in declaration order."""
        out = []
        hints = typing.get_type_hints(self.model)
        for name, info in self.model.model_fields.items():
            py_type, nullable = unwrap_optional(hints[name])
            out.append((info.alias or name, py_type, nullable, info.description or ""))
        return out

    def column_names(self) -> list[str]:
        return [info.alias or name for name, info in self.model.model_fields.items()]

    def required_columns(self) -> list[str]:
        return [name for name, _, nullable, _ in self.columns() if not nullable]

    def max_lengths(self) -> dict[str, int]:
        """Return {column: max characters} for every text column whose contract declares ``max_length``."""
        out = {}
        for name, info in self.model.model_fields.items():
            limits = [m.max_length for m in info.metadata if getattr(m, "max_length", None) is not None]
            if limits:
                out[info.alias or name] = min(limits)
        return out

    def numeric_bounds(self) -> dict[str, tuple[float | None, float | None]]:
        """Return {column: (lower, upper)} (inclusive) for columns whose contract declares ge/le (or gt/lt)."""
        out = {}
        for name, info in self.model.model_fields.items():
            lo = hi = None
            for m in info.metadata:
                lo = getattr(m, "ge", getattr(m, "gt", lo))
                hi = getattr(m, "le", getattr(m, "lt", hi))
            if lo is not None or hi is not None:
                out[info.alias or name] = (lo, hi)
        return out


def unwrap_optional(annotation: typing.Any) -> tuple[type, bool]:
    """Return (inner type, nullable) for ``X | None`` / ``Optional[X]`` annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union annotation {annotation!r}")
        return args[0], True
    return annotation, False


SUPPORTED_TYPES = (str, int, float, bool, dt.date, dt.datetime)


def literal_values(literal: typing.Any, matches: typing.Iterable[str], what: str) -> tuple[str, ...]:
    """Return the values of ``literal``; raise TypeError (at import) unless ``matches`` holds exactly those values.

    Keeps a lookup table (e.g. sort name -> SQL) and the Literal that types the API parameter one definition."""
    values = typing.get_args(literal)
    given = tuple(matches)
    if sorted(values) != sorted(given):
        raise TypeError(f"{what}: {sorted(given)} differ from the Literal's {sorted(values)}")
    return values

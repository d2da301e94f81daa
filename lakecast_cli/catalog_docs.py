"""Render the table catalog from the contracts: `sql/<namespace>/<table>.sql` and `docs/data-model.md`.

`lakecast docs` writes them; tests/test_catalog_snapshot.py fails when they are stale, so a renamed table or
column shows up as a reviewable diff of committed files.
"""

from __future__ import annotations

from pathlib import Path

from contracts.registry import TABLES
from lakecast.settings import PROJECT_ROOT


def table_sql(fqn: str) -> str:
    from spark_jobs.registry import JOBS
    from spark_jobs.schema import create_table_sql

    spec = TABLES[fqn]
    producers = [j.name for j in JOBS.values() if fqn in j.produces]
    updaters = [j.name for j in JOBS.values() if fqn in j.updates]
    head = [
        f"-- {fqn}",
        f"-- grain: {spec.grain}",
        f"-- primary key: {', '.join(spec.primary_key) or '(none)'}",
        f"-- partitioned by: {', '.join(spec.partition_by) or '(unpartitioned)'}",
        f"-- sorted by: {', '.join(spec.sort_by) or '(none)'}",
        f"-- produced by job: {', '.join(producers) or '(none)'}"
        + (f" (also written by: {', '.join(updaters)})" if updaters else "")
        + f"; served: {'yes' if spec.served else 'no'}",
        f"-- contract: {spec.model.__module__}.{spec.model.__name__}",
    ]
    if spec.description:
        head.append(f"-- {spec.description}")
    for col, ref in spec.references.items():
        head.append(f"-- foreign key: {col} -> {ref}")
    return "\n".join(head) + "\n" + create_table_sql(spec, "lakecast") + ";\n"


def data_model_md() -> str:
    lines = ["# Data model", "",
             "Generated from `contracts/` by `lakecast docs` (do not edit by hand). One section per table: grain,",
             "keys, layout, and every column with its type and meaning. DDL lives beside it in `sql/<namespace>/`.",
             ""]
    for fqn, spec in TABLES.items():
        lines += [f"## `{fqn}`", "", f"**Grain:** {spec.grain}.  "]
        lines.append(f"**Key:** {', '.join(spec.primary_key) or '—'} · "
                     f"**Partitioned by:** {', '.join(spec.partition_by) or '—'} · "
                     f"**Sorted by:** {', '.join(spec.sort_by) or '—'} · **Served:** {'yes' if spec.served else 'no'}")
        if spec.description:
            lines += ["", spec.description]
        lines += ["", "| column | type | nullable | meaning |", "|---|---|---|---|"]
        for name, py_type, nullable, doc in spec.columns():
            lines.append(f"| `{name}` | {py_type.__name__} | {'yes' if nullable else 'no'} | {doc} |")
        lines.append("")
    return "\n".join(lines)


def rendered() -> dict[Path, str]:
    """Return {path: content} of every generated catalog file."""
    out = {PROJECT_ROOT / "docs" / "data-model.md": data_model_md()}
    for fqn in TABLES:
        namespace, table = fqn.split(".")
        out[PROJECT_ROOT / "sql" / namespace / f"{table}.sql"] = table_sql(fqn)
    return out


def write() -> list[Path]:
    written = []
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written

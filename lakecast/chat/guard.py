"""The SQL guard: every query chat runs (compiled by the rules, written by an LLM, or typed by a user) passes
here first. Refusal is the default; a query runs only if all of these hold:

* it parses (sqlglot, Trino dialect) as exactly one statement, and that statement is a SELECT (a WITH ... SELECT
  or a UNION/INTERSECT/EXCEPT of SELECTs included), not recursive, without ``SELECT ... INTO``;
* every table is a served gold table (``contracts`` with ``served=True``) named ``gold.<table>``, or a CTE of
  the query; no catalogs, no table functions (``read_csv``, ``iceberg_scan``, ``TABLE(...)``), no file names,
  no time travel (``FOR VERSION AS OF`` / ``FOR TIMESTAMP AS OF``) and no metadata tables (``t$snapshots``);
* every column is a column of a referenced table or a name the query itself defines (alias, CTE column);
* every function is on an allow-list of pure scalar/aggregate/window functions (no file, network, system,
  session or sleep functions); no placeholders;
* at most ``max_joins`` joins, each with an ON/USING condition (no cartesian products);
* a LIMIT no larger than ``max_rows`` (added or lowered; a LIMIT that is not a number is refused).

The output SQL is regenerated from the checked AST (comments dropped), so what runs is what was checked.
Execution adds a read-only, file-sandboxed connection and a statement timeout (``lakecast/chat/executor.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

DIALECT = "trino"

ALLOWED_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.Sum, exp.Avg, exp.Count, exp.Min, exp.Max, exp.Abs, exp.Round, exp.Coalesce, exp.Nullif, exp.Cast,
    exp.TryCast, exp.TimestampTrunc, exp.DateTrunc, exp.Year, exp.Month, exp.Quarter, exp.Extract, exp.Greatest,
    exp.Least, exp.Case, exp.If, exp.Concat, exp.Lower, exp.Upper, exp.DateAdd, exp.DateDiff, exp.Stddev,
    exp.StddevSamp, exp.StddevPop, exp.Variance, exp.Sqrt, exp.Ln, exp.Log, exp.Exp, exp.Floor, exp.Ceil,
    exp.Pow, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Lag, exp.Lead, exp.CountIf, exp.Sign, exp.Length,
    exp.Substring, exp.Trim, exp.ApproxQuantile, exp.SplitPart, exp.AnyValue, exp.LogicalOr, exp.LogicalAnd,
    exp.Median, exp.PercentileCont, exp.StrPosition, exp.Replace, exp.CurrentDate, exp.DayOfWeekIso, exp.LastDay,
    exp.FirstValue, exp.LastValue, exp.NthValue, exp.PercentRank, exp.CumeDist, exp.Ntile, exp.Corr,
    # sqlglot models these operators as functions too
    exp.And, exp.Or, exp.Xor, exp.Exists,
)
#: names sqlglot keeps as anonymous functions that are still harmless
ALLOWED_ANONYMOUS = frozenset({"date_trunc", "day", "week", "day_of_month", "day_of_year", "mod", "truncate"})

#: statement-level nodes that never belong inside a query
FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.Copy,
    exp.Pragma, exp.Set, exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Into, exp.LoadData,
    exp.Describe, exp.Placeholder, exp.Parameter, exp.Cache, exp.Uncache, exp.Refresh, exp.Show,
)


class GuardRefusal(Exception):
    """The SQL is refused; ``message`` is a plain-words reason safe to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class GuardedSQL:
    sql: str  # Trino dialect, regenerated from the checked AST, LIMIT enforced
    ast: exp.Expression
    tables: tuple[str, ...]
    limit: int


def _one_statement(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GuardRefusal(f"refused: the SQL does not parse as one Trino-dialect statement ({first[:200]})") from None
    except Exception as exc:  # e.g. RecursionError on absurd nesting: still a refusal, never a crash
        raise GuardRefusal(f"refused: the SQL could not be parsed ({type(exc).__name__})") from None
    if len(statements) != 1:
        raise GuardRefusal(f"refused: exactly one statement is allowed, got {len(statements)}")
    root = statements[0]
    while isinstance(root, exp.Subquery) and isinstance(root.this, exp.Query):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise GuardRefusal(f"refused: only SELECT queries are allowed, got {root.key.upper()}")
    return root


def _check_nodes(root: exp.Expression, max_joins: int) -> None:
    joins = 0
    for node in root.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise GuardRefusal(f"refused: {node.key.upper()} is not allowed in a chat query (read-only SELECT only)")
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            raise GuardRefusal("refused: SELECT ... INTO writes a table; only plain SELECT is allowed")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise GuardRefusal("refused: recursive WITH queries are not allowed")
        if isinstance(node, exp.Func):
            _check_function(node)
        if isinstance(node, exp.Join):
            joins += 1
            if node.args.get("on") is None and not node.args.get("using"):
                raise GuardRefusal("refused: every JOIN needs an ON or USING condition (no cartesian products)")
    if joins > max_joins:
        raise GuardRefusal(f"refused: at most {max_joins} joins are allowed, got {joins}")


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if name in ALLOWED_ANONYMOUS:
            return
    elif isinstance(node, ALLOWED_FUNCTIONS):
        return
    else:
        name = node.sql_name().lower()
    raise GuardRefusal(f"refused: function {name}() is not allowed (no file, network, system or session "
                       "functions; aggregates, arithmetic, dates and window functions only)")


def _cte_names(root: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in root.find_all(exp.CTE)}


def _check_tables(root: exp.Expression, allowed: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    ctes = _cte_names(root)
    used: list[str] = []
    for table in root.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise GuardRefusal("refused: table functions and file reads are not allowed in FROM; "
                               f"query the served tables ({', '.join(sorted(allowed))})")
        if table.args.get("version") is not None:
            raise GuardRefusal("refused: time travel (FOR VERSION AS OF / FOR TIMESTAMP AS OF) is not allowed; chat "
                               "answers on the published snapshot of the served tables")
        name, db, catalog = table.name.lower(), table.db.lower(), table.catalog.lower()
        if "$" in name:
            raise GuardRefusal(f"refused: metadata table {table.sql(dialect=DIALECT)} is not served (snapshots, "
                               "files, manifests and history are not chat data)")
        if catalog:
            raise GuardRefusal(f"refused: catalog-qualified table {table.sql(dialect=DIALECT)}; write gold.<table>")
        if not db and name in ctes:
            continue
        fqn = f"{db}.{name}" if db else name
        if fqn not in allowed:
            raise GuardRefusal(f"refused: table {fqn} is not served to chat; allowed: {', '.join(sorted(allowed))}")
        used.append(fqn)
    return tuple(dict.fromkeys(used))


def _defined_names(root: exp.Expression) -> set[str]:
    names = {a.alias.lower() for a in root.find_all(exp.Alias) if a.alias}
    for alias in root.find_all(exp.TableAlias):
        names.update(c.name.lower() for c in alias.columns)
    return names


def _check_columns(root: exp.Expression, tables: tuple[str, ...], allowed: Mapping[str, tuple[str, ...]]) -> None:
    known = {c.lower() for t in tables for c in allowed[t]} | _defined_names(root)
    for col in root.find_all(exp.Column):
        name = col.name.lower()
        if isinstance(col.this, exp.Star) or name == "*":
            continue
        if name not in known:
            listed = "; ".join(f"{t}: {', '.join(allowed[t])}" for t in tables) or "no table referenced"
            raise GuardRefusal(f"refused: unknown column {col.sql(dialect=DIALECT)} (columns: {listed})")


def _enforce_limit(root: exp.Expression, max_rows: int) -> int:
    current = root.args.get("limit")
    if current is None:
        root.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
        return max_rows
    value = current.args.get("count") if isinstance(current, exp.Fetch) else current.expression
    if not (isinstance(value, exp.Literal) and not value.is_string and str(value.this).isdigit()):
        raise GuardRefusal("refused: LIMIT must be a plain number")
    limit = min(int(value.this), max_rows)
    root.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return limit


def guard_sql(sql: str, *, allowed: Mapping[str, tuple[str, ...]], max_rows: int = 1000,
              max_sql_chars: int = 20_000, max_joins: int = 6) -> GuardedSQL:
    """Check ``sql`` (Trino dialect) and return it with an enforced LIMIT, or raise GuardRefusal."""
    if not sql or not sql.strip():
        raise GuardRefusal("refused: empty SQL")
    if len(sql) > max_sql_chars:
        raise GuardRefusal(f"refused: SQL longer than {max_sql_chars} characters")
    if "\x00" in sql:
        raise GuardRefusal("refused: SQL contains a NUL character")
    allowed = {k.lower(): v for k, v in allowed.items()}
    root = _one_statement(sql)
    _check_nodes(root, max_joins)
    tables = _check_tables(root, allowed)
    if not tables:
        raise GuardRefusal("refused: the query reads no served table")
    _check_columns(root, tables, allowed)
    root = root.copy()
    for node in root.walk():
        node.comments = None
    limit = _enforce_limit(root, max_rows)
    return GuardedSQL(root.sql(dialect=DIALECT), root, tables, limit)

"""dbt (dbt-snowflake, unchanged) with the Snowflake connector replaced by fakesnow.

    FAKESNOW_DB_PATH=/some/dir DBT_TARGET=snowflake dbt-snowflake-emulated build

The database is the DuckDB file ``$FAKESNOW_DB_PATH/<DATABASE>.db`` that
target-snowflake-emulated wrote. Only the connection is replaced: every statement
dbt-snowflake sends reaches fakesnow as sent, and is checked for one rule DuckDB does not
keep (below) before fakesnow translates it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fakesnow
import fakesnow.transforms
import snowflake.connector
import snowflake.connector.errors
from dbt.cli.main import cli
from fakesnow.cursor import FakeSnowflakeCursor
from sqlglot import exp

if TYPE_CHECKING:
    from sqlglot.expressions import Expression

DB_PATH_ENV = "FAKESNOW_DB_PATH"

_real_check = FakeSnowflakeCursor.check_db_and_schema


def _aliases(expression: Expression) -> set[str]:
    """The names the statement itself defines (``x as "name"``, ``cte (a, b) as``)."""
    names = set()
    for alias in expression.find_all(exp.Alias):
        names.add(alias.args["alias"].this)
    for alias in expression.find_all(exp.TableAlias):
        names.update(i.this for i in (alias.this, *alias.columns) if isinstance(i, exp.Identifier))
    return names


def _check_quoted_case(self: FakeSnowflakeCursor, expression: Expression) -> None:
    """Refuse a quoted identifier that is not upper case and that the statement does not define.

    Snowflake matches a quoted identifier exactly and folds unquoted ones to upper case;
    DuckDB, under fakesnow, matches both case-insensitively, so "mailboxId" finds the column
    MAILBOXID here and no column on Snowflake. Every object this project reads or dbt creates
    is named unquoted (stored upper case), so a quoted name with a lower-case letter names
    nothing on Snowflake unless the same statement defines it (dbt's catalog query selects
    ``table_name as "table_name"``): fail as Snowflake would. Stricter than Snowflake only for
    objects created under a quoted lower-case name, which this project has none of.
    """
    defined = _aliases(expression)
    for identifier in expression.find_all(exp.Identifier):
        name = identifier.this
        if identifier.quoted and name != name.upper() and name not in defined:
            msg = (
                f"SQL compilation error: invalid identifier '\"{name}\"' (dbt-snowflake-emulated: "
                "Snowflake matches quoted names case-sensitively, and the tables' are upper case)"
            )
            raise snowflake.connector.errors.ProgrammingError(msg=msg, errno=904, sqlstate="42000")
    _real_check(self, expression)


_real_numeric_agg = fakesnow.transforms.numeric_agg_implicit_cast


def _numeric_agg_keeping_type(expression: Expression) -> Expression:
    """fakesnow's SUM/AVG/… rewrite without its TRY_CAST(arg AS DOUBLE).

    fakesnow casts every aggregate's argument to DOUBLE (Snowflake would cast text there
    implicitly), so ``sum(<NUMBER(38,0)>)`` came out FLOAT, where Snowflake keeps
    NUMBER(38,0) (exact). The models aggregate only numbers; DuckDB rejects SUM of text,
    so a model that relied on the implicit cast fails here rather than passing.
    """
    was_cast = isinstance(expression.this, (exp.Cast, exp.TryCast)) if expression.this else True
    result = _real_numeric_agg(expression)
    aggregate = result.this if isinstance(result, exp.Alias) else result
    if not was_cast and isinstance(aggregate.this, exp.TryCast):
        aggregate.set("this", aggregate.this.this)
    return result


# fakesnow's statement rewrite, the one hook for the rewrite below
_real_transform = FakeSnowflakeCursor._transform
#: Tables created TEMPORARY this process, as permanent ones: dropped when dbt ends.
_session_tables: list[str] = []


def _transform_temporary_as_permanent(
    self: FakeSnowflakeCursor, expression: Expression, params: Any
) -> Expression:
    """``create temporary table <db>.<schema>.<name>`` (dbt-snowflake's unit tests) as a table.

    DuckDB refuses a temporary table named in a database and schema ("TEMPORARY table names
    can *only* use the temp catalog"), and the next statements read it by that name; a
    permanent table there, dropped when dbt ends, reads the same for this process. (Snowflake
    drops a temporary table with its session; no other session sees it meanwhile, which
    here only the tests' own reads, after dbt, could.)
    """
    create = isinstance(expression, exp.Create)
    temporary = expression.find(exp.TemporaryProperty) if create else None
    table = expression.find(exp.Table)
    if temporary is not None and table is not None and table.catalog:
        temporary.pop()
        _session_tables.append(table.sql(dialect="snowflake"))
    return _real_transform(self, expression, params)


def _drop_session_tables() -> None:
    if not _session_tables:
        return
    database = exp.to_table(_session_tables[0], dialect="snowflake").catalog
    with snowflake.connector.connect(database=database) as connection:
        for name in dict.fromkeys(_session_tables):
            connection.cursor().execute(f"drop table if exists {name}")


def main() -> None:
    """Console script: the dbt CLI, with Snowflake replaced by fakesnow."""
    db_path = os.environ.get(DB_PATH_ENV)
    if not db_path or not Path(db_path).is_dir():
        sys.exit(f"dbt-snowflake-emulated: set {DB_PATH_ENV} to the loader's database folder")
    FakeSnowflakeCursor.check_db_and_schema = _check_quoted_case
    fakesnow.transforms.numeric_agg_implicit_cast = _numeric_agg_keeping_type
    FakeSnowflakeCursor._transform = _transform_temporary_as_permanent  # type: ignore[method-assign]
    with fakesnow.patch(db_path=db_path):
        try:
            cli()
        finally:  # cli() ends in sys.exit
            _drop_session_tables()


if __name__ == "__main__":
    main()

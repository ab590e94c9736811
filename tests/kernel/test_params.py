"""Reading a cell's SQL: parameters, mentioned names and lake datasets."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from lakebook.kernel.magics import _split_options
from lakebook.kernel.params import (
    bind_parameters,
    lake_datasets,
    mentioned_words,
    parameter_names,
)


def test_parameters_skip_literals_comments_and_dollar_quotes() -> None:
    sql = """
        SELECT '$not_a' AS a, "$not_b" AS b, $$ $not_c $$ AS c, $tag$ $not_d $tag$ AS d
        -- $not_e
        /* $not_f */
        FROM t WHERE x = $first AND y IN $second AND z = $first
    """
    assert parameter_names(sql) == ["first", "second"]


def test_bind_parameters_takes_values_from_the_namespace() -> None:
    assert bind_parameters("SELECT $a, $b", {"a": 1, "b": "x", "c": 3}) == {"a": 1, "b": "x"}


def test_missing_variable_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"\$region .* 'region'"):
        bind_parameters("SELECT * FROM t WHERE r = $region", {})


def test_mentioned_words_ignore_literals() -> None:
    assert mentioned_words("SELECT * FROM frame WHERE s = 'other'") == {
        "SELECT",
        "FROM",
        "frame",
        "WHERE",
        "s",
    }


def test_lake_datasets_found_outside_literals() -> None:
    sql = "SELECT * FROM lake.sales JOIN LAKE . \"regions\" USING (r) WHERE n = 'lake.fake'"
    assert lake_datasets(sql) == ["sales", "regions"]


@pytest.mark.parametrize(
    ("line", "options", "sql"),
    [
        ("-o df --limit 5 SELECT 'a -o b'", "-o df --limit 5", "SELECT 'a -o b'"),
        ("--polars SELECT 1", "--polars", "SELECT 1"),
        ("--run sales=r1 -- note", "--run sales=r1", "-- note"),
        ("-o df", "-o df", ""),
    ],
)
def test_split_options_keeps_the_sql_untouched(line: str, options: str, sql: str) -> None:
    assert _split_options(line) == (options, sql)

from __future__ import annotations

from pathlib import Path

import pytest

from neuropilot import queries
from neuropilot.queries import QueryError, load, parse


def test_parse_reads_name_kind_and_sql() -> None:
    text = "-- name: ListThings :many\n-- what it is for\nselect 1;\n\n-- name: CountThings :one\nselect 2\n"
    found = parse(text, "things.sql")
    assert [(q.name, q.kind) for q in found] == [("ListThings", "many"), ("CountThings", "one")]
    assert found[0].sql == "-- what it is for\nselect 1"
    assert found[1].source == "things.sql:5"


@pytest.mark.parametrize(
    "text",
    [
        "-- name: list_things :many\nselect 1",  # not CamelCase
        "-- name: ListThings :all\nselect 1",  # unknown kind
        "-- name: ListThings\nselect 1",  # no kind
        "-- name:ListThings :one\nselect 1",
    ],
)
def test_malformed_header_is_refused(text: str) -> None:
    with pytest.raises(QueryError, match="malformed header"):
        parse(text, "bad.sql")


def test_sql_before_first_header_is_refused() -> None:
    with pytest.raises(QueryError, match="before the first"):
        parse("select 1;\n-- name: A :one\nselect 2", "bad.sql")


def test_query_without_sql_is_refused() -> None:
    with pytest.raises(QueryError, match="has no SQL"):
        parse("-- name: Empty :exec\n-- only a comment\n\n-- name: Next :one\nselect 1", "bad.sql")


def test_duplicate_name_across_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- name: GetThing :one\nselect 1\n")
    (tmp_path / "b.sql").write_text("-- name: GetThing :one\nselect 2\n")
    with pytest.raises(QueryError, match="defined twice"):
        load(tmp_path)


def test_name_no_file_defines_fails_when_taken() -> None:
    with pytest.raises(QueryError, match="no file in sql/queries defines it"):
        queries.query("NoSuchQuery")


def test_every_defined_query_is_used_by_code() -> None:
    queries.check_all_used()  # raises on a query no code takes
    assert queries.unused(queries.registry(), queries._used) == []


def test_a_query_no_code_uses_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from neuropilot.app import create_app
    from neuropilot.config import Settings

    extra = parse("-- name: ForgottenQuery :one\nselect 1", "extra.sql")[0]
    monkeypatch.setitem(queries.registry(), extra.name, extra)
    with pytest.raises(QueryError, match="ForgottenQuery"):
        create_app(Settings(database_url="postgresql://unused@127.0.0.1:1/none"))


def test_real_files_use_one_parameter_style() -> None:
    for q in queries.registry().values():
        assert "$1" not in q.sql, f"{q.source}: use %(name)s parameters"
        assert "%s" not in q.sql, f"{q.source}: use named %(name)s parameters"

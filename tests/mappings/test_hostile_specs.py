"""Hostile specs and expressions: each is a validation error at its line and column, naming the
limit it broke (docs/mappings.md, Validation), read in bounded time, through the library, the
CLI and the public API, with nothing stored."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.testing import FlaskClient

from connectors.registry import CATALOGUE
from intsync.cli.main import cli
from intsync.config import Settings
from mappings import SpecValidationError, load_spec
from mappings.expr_parse import tokenize
from tests.web.conftest import JWT_SECRET, auth, make_token
from warehouse.store import open_store
from web import create_app

HEAD = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
API = "/api/v1/integrations/mappings/validate"
CPU_BOUND_S = 5.0  # CPU seconds of this process: other processes' load cannot make it flake


def expr(text: str) -> str:
    return HEAD + "  x: {expr: " + json.dumps(text) + "}\n"


def laughs(levels: int = 9, width: int = 10) -> str:
    """A billion laughs: each list names the one before it `width` times."""
    rows = ["      - &l0 [" + ",".join(["x"] * width) + "]"]
    rows += [f"      - &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return HEAD + "  x:\n    const:\n" + "\n".join(rows) + "\n"


def quoted(text: str) -> str:
    return f"expression '{text[:77]}...' does not parse: "


LENGTH = "split it into several fields (limit: 4096 characters per expression)"
NESTING = (
    "the expression nests too deep: split it into several fields (limit: 48 levels of nesting)"
)
TOKENS = (
    "the expression has more than 500 names, values and operators: split it into several "
    "fields (limit: 500 tokens per expression)"
)
YAML_DEPTH = "lists and mappings nest too deep here (limit: 32 levels of YAML nesting)"
SUM_3000 = " + ".join(["amount"] * 3000)
SUM_60 = " + ".join(["amount"] * 60)
PATH_3000 = "metadata." + ".".join(["a"] * 3000)
DEEP_PATH = "path 'metadata.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...."
DEEP_PATH += "' is too deep: no record nests that far (limit: 32 path segments)"

# name, spec text, the one issue expected as `line:column: message`
CASES = [
    (
        "1 MiB expression",
        expr(" + ".join(["amount"] * 116_000)),
        "6:13: "
        + quoted(" + ".join(["amount"] * 12))
        + f"the expression is 1043997 characters long: {LENGTH}",
    ),
    (
        "3,000-term sum",
        expr(SUM_3000),
        f"6:13: {quoted(SUM_3000)}the expression is 26997 characters long: {LENGTH}",
    ),
    ("60-term sum", expr(SUM_60), f"6:543: {quoted(SUM_60)}{NESTING}"),
    (
        "120 nested parentheses",
        expr("(" * 120 + "amount" + ")" * 120),
        f"6:62: {quoted('(' * 120)}{NESTING}",
    ),
    ("100 nots", expr("not " * 100 + "true"), f"6:206: {quoted('not ' * 100)}{NESTING}"),
    ("3,000 minus signs", expr("-" * 3000 + "amount"), f"6:514: {quoted('-' * 3000)}{TOKENS}"),
    (
        "60 nested calls",
        expr("abs(" * 60 + "amount" + ")" * 60),
        f"6:209: {quoted('abs(' * 60)}{NESTING}",
    ),
    (
        "600 tokens",
        expr("coalesce(" + ", ".join(["amount"] * 300) + ")"),
        f"6:2015: {quoted('coalesce(' + ', '.join(['amount'] * 300))}{TOKENS}",
    ),
    (
        "400-deep const list",
        HEAD + "  x: {const: " + "[" * 400 + "1" + "]" * 400 + "}\n",
        f"6:43: {YAML_DEPTH}",
    ),
    (
        "400-deep const mapping",
        HEAD + "  x: {const: " + "{a: " * 400 + "1" + "}" * 400 + "}\n",
        f"6:130: {YAML_DEPTH}",
    ),
    (
        "5,000-digit literal",
        expr("1" * 5000),
        f"6:13: {quoted('1' * 5000)}the expression is 5000 characters long: {LENGTH}",
    ),
    (
        "100-digit literal",
        expr("amount * " + "1" * 100),
        "6:23: "
        + quoted("amount * " + "1" * 100)
        + "the number has 100 digits (limit: 40 number digits)",
    ),
    (
        "100-digit decimal",
        expr("1." + "5" * 100),
        f"6:13: {quoted('1.' + '5' * 100)}the number has 101 digits (limit: 40 number digits)",
    ),
    (
        "a float beyond float",
        expr("amount * 1e999"),
        "6:23: expression 'amount * 1e999' does not parse: the number 1e999 is too large for "
        "a decimal column",
    ),
    (
        "5,000-digit path index",
        HEAD + "  x: {path: 'metadata[" + "1" * 5000 + "]'}\n",
        "6:13: list index at position 9 of path 'metadata[" + "1" * 68 + "...' is too large "
        "(limit: 9 index digits)",
    ),
    (
        "20-digit index in an expression",
        expr("metadata[" + "1" * 20 + "]"),
        "6:13: expression 'metadata[11111111111111111111]' does not parse: list index at "
        "position 9 of path 'metadata[11111111111111111111]' is too large (limit: 9 index digits)",
    ),
    (
        "round to -1e9 digits",
        expr("round(amount, -1000000000)"),
        "6:28: expression 'round(amount, -1000000000)' does not parse: round() to -1000000000 "
        "digits: use -18 to 18 (limit: 18 round digits)",
    ),
    (
        "round to digits read from the record",
        expr("round(amount, amount)"),
        "6:28: expression 'round(amount, amount)' does not parse: round() takes its digits as "
        "a whole number written in the spec, e.g. round(x, 2)",
    ),
    (
        "billion laughs in const",
        laughs(),
        "12:9: this value holds 1,234,567,914 values, counting each use of an alias (*name) as "
        "a copy of what it names (limit: 20,000 YAML values, aliases expanded)",
    ),
    (
        "an alias inside itself",
        HEAD + "  x:\n    const: &me [1, *me]\n",
        "7:12: this value contains itself through an alias: write it out instead",
    ),
    (
        "25,000 values",
        HEAD + "  x: {const: [" + ",".join(["1"] * 25_000) + "]}\n",
        "1:1: the file holds 25,015 values (limit: 20,000 YAML values): split it into several "
        "specs",
    ),
    (
        "2 MiB document",
        HEAD + "# " + "x" * (2 * 1024 * 1024) + "\n",
        "1:1: the file is 2,097,229 bytes: split it into several specs (limit: 1,048,576 bytes "
        "of YAML per spec)",
    ),
    ("3,000-segment path", HEAD + "  x: {path: " + PATH_3000 + "}\n", f"6:13: {DEEP_PATH}"),
    (
        "1,000-segment path in an expression",
        expr("metadata." + ".".join(["a"] * 1000)),
        f"6:13: {quoted(PATH_3000)}{DEEP_PATH}",
    ),
    (
        "5,000-digit number in where",
        HEAD + "where: '" + "9" * 5000 + " > amount'\n",
        f"6:8: {quoted('9' * 5000)}the expression is 5009 characters long: {LENGTH}",
    ),
]
IDS = [case[0] for case in CASES]


def _spec_file(folder: Path, text: str) -> Path:
    path = folder / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=IDS)
def test_a_hostile_spec_is_a_validation_error_at_its_position(tmp_path, name, text, expected):
    path = _spec_file(tmp_path, text)
    started = time.process_time()
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path, CATALOGUE)
    took = time.process_time() - started
    assert [f"{i.line}:{i.column}: {i.message}" for i in raised.value.errors] == [expected]
    assert took < CPU_BOUND_S, f"{name}: {took:.2f} s of CPU"


@pytest.fixture
def runner(intsync_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("records.json").write_text(json.dumps([{"id": "ch_1", "amount": 1, "metadata": {}}]))
    return CliRunner()


@pytest.mark.parametrize("command", ["validate", "preview"])
@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=IDS)
def test_the_cli_prints_the_error_and_exits_1(runner, command, name, text, expected):
    Path("spec.yaml").write_text(text)
    extra = ["--input", "records.json"] if command == "preview" else []
    result = runner.invoke(cli, ["mappings", command, "spec.yaml", *extra])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"spec.yaml:{expected}" in result.output.splitlines()
    assert "Traceback" not in result.output


@pytest.fixture
def api(tmp_path, monkeypatch):
    """A test client of the web service on a private SQLite store, with a private temporary
    folder; after the test, neither holds anything new."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    settings = Settings(
        home=tmp_path,
        warehouse_url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        database_url=f"sqlite:///{tmp_path / 'intsync.db'}",
        secret_key_env="web-test-secret-key-0123456789",
        jwt_secret=JWT_SECRET,
    )
    store = open_store(settings.database_url, settings.secret_key())
    before = _rows(store.engine)
    yield create_app({"settings": settings, "store": store, "launcher": None}).test_client()
    assert _rows(store.engine) == before
    assert list(scratch.iterdir()) == []
    store.engine.dispose()


def _rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in sa.inspect(engine).get_table_names()
        }


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=IDS)
def test_the_api_answers_each_with_its_issue(api: FlaskClient, name, text, expected):
    response = api.post(API, json={"yaml": text}, headers=auth(make_token()))
    if len(text) > 1024 * 1024:  # past the request body limit before the spec is read
        assert response.status_code == 413
        return
    assert response.status_code == 200
    line, column, message = expected.split(":", 2)
    assert response.json == {
        "valid": False,
        "issues": [{"line": int(line), "column": int(column), "message": message.strip()}],
    }


def test_the_tokenizer_is_linear_in_the_expression(monkeypatch):
    """Without the length limit, eight times the expression takes about eight times the CPU
    (copying the rest of the text per token made it sixty-four: 1 MiB took 36 s)."""
    monkeypatch.setattr("mappings.expr_parse.MAX_EXPRESSION_CHARS", 10**9)
    monkeypatch.setattr("mappings.expr_parse.MAX_EXPRESSION_TOKENS", 10**9)

    def cpu(terms: int) -> float:
        source = " + ".join(["amount"] * terms)
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            assert len(tokenize(source)) == 2 * terms
            best = min(best, time.process_time() - started)
        return best

    small, large = cpu(14_500), cpu(116_000)  # 1 MiB of text
    assert large / small < 24, f"{small:.3f} s, then {large:.3f} s for eight times the text"

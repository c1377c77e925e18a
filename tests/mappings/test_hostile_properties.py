"""Generated hostile specs and expressions: whatever the shape or size, each is a validation
error naming the limit it broke, at its position, in bounded CPU time, through the library, the
CLI and the public API; and no text at all makes validation fail any other way."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.registry import CATALOGUE
from intsync.cli.main import cli
from mappings import SpecValidationError, load_spec
from tests.mappings.test_hostile_specs import API, CPU_BOUND_S, HEAD, api, expr  # noqa: F401
from tests.web.conftest import auth, make_token

FIXTURES_OK = settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _nested(opening: str, closing: str, depth: int, inner: str = "amount") -> str:
    return opening * depth + inner + closing * depth


hostile_expressions = st.one_of(
    st.integers(49, 600).map(lambda n: _nested("(", ")", n)),
    st.integers(49, 600).map(lambda n: _nested("abs(", ")", n)),
    st.integers(49, 600).map(lambda n: _nested("upper(", ")", n)),
    st.integers(49, 600).map(lambda n: "not " * n + "true"),
    st.integers(49, 3000).map(lambda n: "-" * n + "amount"),
    st.integers(49, 3000).map(lambda n: " + ".join(["amount"] * n)),
    st.integers(49, 3000).map(lambda n: " * ".join(["2"] * n)),
    st.integers(49, 3000).map(lambda n: " and ".join(["paid"] * n)),
    st.integers(251, 3000).map(lambda n: "coalesce(" + ", ".join(["amount"] * n) + ")"),
    st.integers(41, 20_000).map(lambda n: "amount * " + "7" * n),
    st.integers(41, 20_000).map(lambda n: "0." + "3" * n),
    st.integers(10, 20_000).map(lambda n: "metadata[" + "5" * n + "]"),
    st.integers(33, 3000).map(lambda n: "metadata" + ".k" * n),
    st.integers(19, 10**12).map(lambda n: f"round(amount, -{n})"),
    st.integers(19, 10**12).map(lambda n: f"round(amount, {n})"),
    st.integers(4097, 1_000_000).map(lambda n: "'" + "x" * (n - 2) + "'"),
)
# lists and mappings nested past the YAML depth limit, in any mix
deep_values = st.lists(st.sampled_from(["[", "{a: "]), min_size=33, max_size=900).map(
    lambda opens: "".join(opens) + "1" + "".join("]" if o == "[" else "}" for o in reversed(opens))
)


@st.composite
def alias_bombs(draw: st.DrawFn) -> str:
    """Lists that each name the one before several times: small text, huge expansion."""
    width = draw(st.integers(4, 30))
    levels = draw(st.integers(2, 12))
    if (width + 1) ** levels <= 25_000:
        levels = 12
    rows = ["      - &l0 [" + ",".join(["x"] * width) + "]"]
    rows += [f"      - &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return HEAD + "  x:\n    const:\n" + "\n".join(rows) + "\n"


hostile_specs = st.one_of(
    hostile_expressions.map(expr),
    hostile_expressions.map(lambda e: HEAD + f"where: {json.dumps(e)}\n"),
    deep_values.map(lambda v: HEAD + f"  x: {{const: {v}}}\n"),
    st.integers(33, 3000).map(lambda n: HEAD + "  x: {path: metadata" + ".k" * n + "}\n"),
    alias_bombs(),
)


def _refused(path: Path) -> list[str]:
    """The issues of a spec that must not load, as `line:column: message`; within the bound."""
    started = time.process_time()
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path, CATALOGUE)
    took = time.process_time() - started
    assert took < CPU_BOUND_S, f"{took:.2f} s of CPU"
    return [f"{i.line}:{i.column}: {i.message}" for i in raised.value.errors]


@settings(deadline=None, max_examples=150)
@given(hostile_specs)
def test_a_generated_hostile_spec_is_refused_naming_its_limit(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_text(text)
    (issue,) = _refused(path)
    assert "(limit: " in issue or "too large for a decimal column" in issue, issue
    assert int(issue.split(":")[0]) >= 6  # at the expression or value, not the top of the file


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_no_expression_text_fails_validation_any_other_way(tmp_path_factory, source):
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_text(expr(source), encoding="utf-8")
    try:
        load_spec(path, CATALOGUE)
    except SpecValidationError as exc:
        assert all(issue.line >= 1 and issue.column >= 1 for issue in exc.errors)


@settings(deadline=None, max_examples=200)
@given(
    st.recursive(
        st.sampled_from(["amount", "1", "2.5", "'a'", "null", "$venue_id", "metadata.k[0]"]),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "and", "or", "=="]), inner).map(
                " ".join
            ),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"not {e}"),
            inner.map(lambda e: f"-{e}"),
            st.lists(inner, min_size=1, max_size=4).map(lambda a: f"coalesce({', '.join(a)})"),
        ),
        max_leaves=200,
    )
)
def test_a_generated_expression_parses_or_is_an_error_at_its_position(tmp_path_factory, source):
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_text(expr(source))
    started = time.process_time()
    try:
        load_spec(path, CATALOGUE)
    except SpecValidationError as exc:
        assert all(issue.line == 6 for issue in exc.errors), exc
    assert time.process_time() - started < CPU_BOUND_S


@FIXTURES_OK
@given(text=hostile_specs, command=st.sampled_from(["validate", "preview"]))
def test_the_cli_refuses_a_generated_hostile_spec(intsync_env, tmp_path, text, command):
    folder = Path(tmp_path)
    (folder / "spec.yaml").write_text(text)
    (folder / "records.json").write_text('[{"id": "ch_1", "amount": 1, "metadata": {}}]')
    extra = ["--input", str(folder / "records.json")] if command == "preview" else []
    result = CliRunner().invoke(cli, ["mappings", command, str(folder / "spec.yaml"), *extra])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    first = result.output.splitlines()[0]
    assert first.startswith(f"{folder / 'spec.yaml'}:"), first
    assert "(limit: " in first or "too large for a decimal column" in first, first


@FIXTURES_OK
@given(text=hostile_specs)
def test_the_api_refuses_a_generated_hostile_spec(api, text):  # noqa: F811
    response = api.post(API, json={"yaml": text}, headers=auth(make_token()))
    if len(text.encode()) > 1024 * 1024:
        assert response.status_code == 413
        return
    assert response.status_code == 200
    assert response.json["valid"] is False
    (issue,) = response.json["issues"]
    assert issue["line"] >= 6
    assert "(limit: " in issue["message"] or "too large" in issue["message"]

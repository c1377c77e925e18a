"""`extends:` reads only inside the folder of specs: a file outside it is never read, its
existence is not told, and nothing of it reaches a message (library, CLI and public API)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from intsync.cli.main import cli
from mappings import SpecValidationError, load_spec, load_specs
from mappings.loader import SPECS_DIR
from tests.mappings.test_hostile_specs import API, api  # noqa: F401  (the fixture)
from tests.web.conftest import auth, make_token

CHARGES = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
SECRET = "db_password: hunter2\nprovider: stripe\n"
OUTSIDE = (
    "leaves the folder of specs: a spec extends only another spec in the same folder of "
    "specs, e.g. extends: ../stripe/charges.yaml"
)


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def messages(raised: pytest.ExceptionInfo[SpecValidationError]) -> list[str]:
    return [f"{i.path}:{i.line}:{i.column}: {i.message}" for i in raised.value.errors]


@pytest.mark.parametrize("target", ["../../secret.yaml", "../../nothing-here.yaml"])
def test_a_folder_of_specs_cannot_extend_a_file_outside_it(tmp_path, target):
    root = tree(
        tmp_path,
        {
            "secret.yaml": SECRET,
            "specs/stripe/charges.yaml": f"extends: {target}\ntable: stripe_charges_2\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    # the same answer whether the file exists or not, and nothing read from it
    assert messages(raised) == [
        f"{root / 'specs'}/stripe/charges.yaml:1:10: 'extends: {target}' {OUTSIDE}"
    ]


def test_a_link_out_of_the_folder_is_outside_too(tmp_path):
    root = tree(
        tmp_path,
        {"secret.yaml": SECRET, "specs/stripe/charges.yaml": "extends: base.txt\ntable: t2\n"},
    )
    (root / "specs/stripe/base.txt").symlink_to(root / "secret.yaml")
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert [i.message for i in raised.value.errors] == [f"'extends: base.txt' {OUTSIDE}"]


def test_an_override_cannot_extend_out_of_its_folder(tmp_path):
    root = tree(
        tmp_path,
        {
            "secret.yaml": SECRET,
            "specs/stripe/charges.yaml": CHARGES,
            "overrides/v1/stripe/charges.yaml": "extends: ../../../../secret.yaml\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert "db_password" not in str(raised.value)
    assert any(OUTSIDE in i.message for i in raised.value.errors)


def test_a_file_on_its_own_extends_within_its_specs_folder(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/stripe/charges.yaml": CHARGES,
            "specs/team/big_charges.yaml": "extends: ../stripe/charges.yaml\ntable: big\n",
            "elsewhere/spec.yaml": "extends: /etc/passwd\ntable: big\n",
        },
    )
    assert load_spec(root / "specs/team/big_charges.yaml").table == "big"
    with pytest.raises(SpecValidationError) as raised:
        load_spec(root / "elsewhere/spec.yaml")
    assert [i.message for i in raised.value.errors] == [f"'extends: /etc/passwd' {OUTSIDE}"]


def test_the_cli_refuses_and_never_shows_the_file(intsync_env, tmp_path, monkeypatch):
    tree(
        tmp_path,
        {
            "secret.yaml": SECRET,
            "mine/spec.yaml": CHARGES + "extends: ../secret.yaml\n",
            "mine/records.json": '[{"id": "ch_1"}]',
        },
    )
    monkeypatch.chdir(tmp_path / "mine")
    for args in (["validate", "spec.yaml"], ["preview", "spec.yaml", "--input", "records.json"]):
        result = CliRunner().invoke(cli, ["mappings", *args])
        assert result.exit_code == 1
        assert (
            result.output.splitlines()[0] == f"spec.yaml:6:10: 'extends: ../secret.yaml' {OUTSIDE}"
        )
        assert "db_password" not in result.output


@pytest.mark.parametrize(
    "target",
    ["/etc/passwd", "../../../../../../etc/passwd", "../secret.yaml", "../nothing.yaml"],
)
def test_the_api_refuses_files_outside_the_specs_folder(api, tmp_path, target):  # noqa: F811
    tree(tmp_path, {"secret.yaml": SECRET, "team/stripe/charges.yaml": CHARGES})
    web = api.application.extensions["intsync"]
    web.settings = replace(web.settings, specs_dir=tmp_path / "team")
    text = CHARGES + f"extends: {json.dumps(target)}\n"
    response = api.post(API, json={"yaml": text}, headers=auth(make_token()))
    assert response.json == {
        "valid": False,
        "issues": [
            {"line": 6, "column": 10, "message": f"'extends: {target}' {OUTSIDE}"},
        ],
    }


def test_the_api_extends_a_shipped_spec_by_its_path_in_the_specs_folder(api):  # noqa: F811
    assert (SPECS_DIR / "stripe/charges.yaml").is_file()
    text = "extends: stripe/charges.yaml\ntable: stripe_charges_copy\n"
    response = api.post(API, json={"yaml": text}, headers=auth(make_token()))
    assert response.json == {"valid": True, "issues": []}
    typo = api.post(API, json={"yaml": "extends: stripe/charge.yaml\n"}, headers=auth(make_token()))
    assert typo.json["issues"] == [
        {
            "line": 1,
            "column": 10,
            "message": "'extends: stripe/charge.yaml' names no file "
            "(stripe/charge.yaml does not exist)",
        }
    ]


def test_the_api_extends_a_team_spec_in_the_configured_folder(api, tmp_path):  # noqa: F811
    tree(tmp_path, {"team/stripe/charges.yaml": CHARGES + "  status: stat\n"})
    web = api.application.extensions["intsync"]
    web.settings = replace(web.settings, specs_dir=tmp_path / "team")
    text = "extends: stripe/charges.yaml\ntable: stripe_charges_copy\n"
    response = api.post(API, json={"yaml": text}, headers=auth(make_token()))
    # an issue in the spec it extends says which file (inside the folder of specs)
    assert response.json["issues"] == [
        {
            "file": "stripe/charges.yaml",
            "line": 6,
            "column": 11,
            "message": "'stat' is not a field of stripe charges (did you mean 'status'?)",
        }
    ]

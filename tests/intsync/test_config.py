from __future__ import annotations

import stat

import pytest

from intsync.config import ConfigError, load_settings, parse_service_secrets


def test_defaults_live_under_home(tmp_path):
    settings = load_settings({"INTSYNC_HOME": str(tmp_path)})
    assert settings.warehouse_url == f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert settings.database_url == f"sqlite:///{tmp_path / 'intsync.db'}"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("INTSYNC_WAREHOUSE", "mysql://x/y", "duckdb://"),
        ("INTSYNC_WAREHOUSE", "duckdb://", "duckdb:///path/to/file"),
        ("INTSYNC_WAREHOUSE", "postgresql://", "postgresql://user@host:port/database"),
        ("INTSYNC_DATABASE_URL", "warehouse.db", "sqlite://"),
    ],
)
def test_malformed_urls_name_the_variable(tmp_path, variable, value, expected):
    with pytest.raises(ConfigError) as err:
        load_settings({"INTSYNC_HOME": str(tmp_path), variable: value})
    assert err.value.variable == variable
    assert str(err.value).startswith(f"{variable}=")
    assert expected in str(err.value)


def test_generated_key_file_is_private_and_stable(tmp_path, caplog):
    settings = load_settings({"INTSYNC_HOME": str(tmp_path)})
    key = settings.secret_key()
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert "generated a credential key" in caplog.text
    assert key not in caplog.text
    assert settings.secret_key() == key


def test_service_secrets_parse_and_reject_malformed():
    assert parse_service_secrets("a=1, b=x=y") == {"a": "1", "b": "x=y"}
    with pytest.raises(ConfigError) as err:
        parse_service_secrets("compliance-service")
    assert "INTSYNC_SERVICE_SECRETS" in str(err.value)


@pytest.mark.parametrize("value", ["0", "many", "65"])
def test_read_processes_must_be_a_small_whole_number(tmp_path, value):
    with pytest.raises(ConfigError, match="INTSYNC_READ_PROCESSES=.*a whole number from 1 to 64"):
        load_settings({"INTSYNC_HOME": str(tmp_path), "INTSYNC_READ_PROCESSES": value})
    settings = load_settings({"INTSYNC_HOME": str(tmp_path), "INTSYNC_READ_PROCESSES": "3"})
    assert settings.read_processes == 3
    assert 1 <= load_settings({"INTSYNC_HOME": str(tmp_path)}).read_processes <= 4


def test_specs_folder_is_read_as_an_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "team-specs").mkdir()
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"INTSYNC_HOME": str(tmp_path), "INTSYNC_SPECS": "team-specs"})
    assert settings.specs_dir == tmp_path / "team-specs"
    assert load_settings({"INTSYNC_HOME": str(tmp_path)}).specs_dir is None
    assert load_settings({"INTSYNC_HOME": str(tmp_path), "INTSYNC_SPECS": ""}).specs_dir is None


@pytest.mark.parametrize(("name", "problem"), [("missing", "does not exist"), ("a.yaml", "file")])
def test_specs_that_are_not_a_folder_are_refused(tmp_path, name, problem):
    (tmp_path / "a.yaml").write_text("provider: stripe\n")
    with pytest.raises(ConfigError) as err:
        load_settings({"INTSYNC_HOME": str(tmp_path), "INTSYNC_SPECS": str(tmp_path / name)})
    assert err.value.variable == "INTSYNC_SPECS"
    assert problem in str(err.value)
    assert "intsync mappings init DIR" in str(err.value)

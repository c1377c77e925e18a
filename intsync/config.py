"""Settings read from the environment, once, with errors that name the variable and the expected form."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlsplit

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret.key"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(f"{variable}={shown!r} is not valid: expected {expected}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything intsync reads from its environment."""

    home: Path
    warehouse_url: str
    database_url: str
    secret_key_env: str | None = field(default=None, repr=False)
    service_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    jwt_secret: str | None = field(default=None, repr=False)
    jwt_public_key: str | None = field(default=None, repr=False)
    hash_salt: str = field(default="", repr=False)
    prefect_api_url: str | None = None
    # worker processes for a full read that can be split (Stripe); 1 reads in the sync's process
    read_processes: int = 1
    # the team's folder of mapping specs (INTSYNC_SPECS), read over the shipped ones; None: the
    # shipped specs only
    specs_dir: Path | None = None
    # origins (scheme://host[:port]) tenants may point a connection at through the public API
    # (INTSYNC_BASE_URL_ALLOWLIST); empty: only operators set base URLs, with the CLI
    base_url_allowlist: tuple[str, ...] = ()

    @property
    def dlt_dir(self) -> Path:
        """Where dlt keeps its pipeline working folders."""
        return self.home / "dlt"

    def secret_key(self) -> str:
        """The credential encryption key: INTSYNC_SECRET_KEY, else the generated key file."""
        if self.secret_key_env:
            return self.secret_key_env
        return _key_from_file(self.home / SECRET_KEY_FILE)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the INTSYNC_* variables (see docs/operations.md for each)."""
    env = os.environ if env is None else env
    home = Path(env.get("INTSYNC_HOME") or "./.intsync").expanduser().resolve()
    warehouse = env.get("INTSYNC_WAREHOUSE") or f"duckdb:///{home / 'warehouse.duckdb'}"
    database = env.get("INTSYNC_DATABASE_URL") or f"sqlite:///{home / 'intsync.db'}"
    _check_url("INTSYNC_WAREHOUSE", warehouse, ("duckdb", "postgresql", "postgres"))
    _check_url("INTSYNC_DATABASE_URL", database, ("sqlite", "postgresql", "postgres"))
    key = env.get("INTSYNC_SECRET_KEY") or None
    if key is not None and len(key) < 16:
        raise ConfigError("INTSYNC_SECRET_KEY", "<hidden>", "at least 16 characters")
    return Settings(
        home=home,
        warehouse_url=warehouse,
        database_url=database,
        secret_key_env=key,
        service_secrets=parse_service_secrets(env.get("INTSYNC_SERVICE_SECRETS", "")),
        jwt_secret=env.get("INTSYNC_JWT_SECRET") or None,
        jwt_public_key=env.get("INTSYNC_JWT_PUBLIC_KEY") or None,
        hash_salt=env.get("INTSYNC_HASH_SALT", ""),
        prefect_api_url=env.get("PREFECT_API_URL") or None,
        read_processes=_read_processes(env.get("INTSYNC_READ_PROCESSES")),
        specs_dir=_specs_dir(env.get("INTSYNC_SPECS")),
        base_url_allowlist=_origins(env.get("INTSYNC_BASE_URL_ALLOWLIST", "")),
    )


def _origins(raw: str) -> tuple[str, ...]:
    """INTSYNC_BASE_URL_ALLOWLIST: comma-separated origins, each `http(s)://host[:port]`."""
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            parts = urlsplit(item)
            parts.port  # noqa: B018 - raises ValueError on a non-numeric port
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username
            or parts.path.strip("/")
            or parts.query
            or parts.fragment
        ):
            raise ConfigError(
                "INTSYNC_BASE_URL_ALLOWLIST",
                item,
                "comma-separated origins such as https://proxy.example.com:8443 (scheme, host "
                "and port only)",
            )
        found.append(origin_of(item))
    return tuple(found)


def origin_of(url: str) -> str:
    """`scheme://host:port` of an http(s) URL, the port spelled out and the host lower-cased."""
    parts = urlsplit(url.strip())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _specs_dir(raw: str | None) -> Path | None:
    """INTSYNC_SPECS: an existing folder, as an absolute path; unset or empty: None."""
    if not raw:
        return None
    folder = Path(raw).expanduser().resolve()
    if not folder.is_dir():
        problem = "it is a file" if folder.exists() else "it does not exist"
        raise ConfigError(
            "INTSYNC_SPECS",
            raw,
            f"a folder of mapping specs ({problem}; make one with `intsync mappings init DIR`, "
            "or unset INTSYNC_SPECS to use the shipped specs)",
        )
    return folder


def _read_processes(raw: str | None) -> int:
    """INTSYNC_READ_PROCESSES, else one per core (at most 4)."""
    if not raw:
        return max(1, min(os.cpu_count() or 1, 4))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise ConfigError("INTSYNC_READ_PROCESSES", raw, "a whole number from 1 to 64")
    return value


def parse_service_secrets(raw: str) -> dict[str, str]:
    """`compliance-service=s3cr3t,monitoring-service=...` into a dict."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, secret = item.partition("=")
        if not sep or not name.strip() or not secret:
            raise ConfigError(
                "INTSYNC_SERVICE_SECRETS",
                name.strip() + "=<hidden>" if sep else name,
                "a comma-separated list of service-name=secret pairs",
            )
        result[name.strip()] = secret
    return result


def _check_url(variable: str, url: str, schemes: tuple[str, ...]) -> None:
    parsed = urlparse(url)
    forms = " or ".join(f"{s}://..." for s in schemes if s != "postgres")
    if parsed.scheme not in schemes:
        raise ConfigError(variable, url, f"a URL of the form {forms}")
    if parsed.scheme in ("duckdb", "sqlite"):
        if not url.startswith(f"{parsed.scheme}:///") or len(url) <= len(parsed.scheme) + 4:
            raise ConfigError(variable, url, f"{parsed.scheme}:///path/to/file")
    elif not parsed.hostname or not parsed.path.strip("/"):
        raise ConfigError(variable, url, "postgresql://user@host:port/database")


def _key_from_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "INTSYNC_SECRET_KEY is not set: generated a credential key in %s (mode 0600). "
        "Back it up; stored credentials cannot be read without it.",
        path,
    )
    return key

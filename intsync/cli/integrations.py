"""`intsync integrations`: add, list and remove provider accounts; rotate the credential key."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connectors.registry import (
    PROVIDERS,
    CredentialError,
    mask,
    validate_base_url,
    validate_credentials,
)
from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.config import SECRET_KEY_FILE
from warehouse.errors import NotFoundError, StoreError, VenueOwnedError

if TYPE_CHECKING:
    from warehouse.store import Integration, Store

PROVIDER_CHOICES = "{" + ",".join(PROVIDERS) + "}"
MIN_KEY_CHARS = 16


@click.group("integrations")
def integrations() -> None:
    """Add, list and remove the provider accounts intsync syncs."""


@integrations.command("add")
@click.option("--tenant", required=True, help="Tenant that owns the venue.")
@click.option("--venue", required=True, help="Venue whose account this is.")
@click.option("--provider", required=True, metavar=PROVIDER_CHOICES, help="The provider.")
@click.option("--base-url", help="Point the connector at another host (a sandbox, a proxy).")
@click.option("--name", help="A label to tell integrations apart.")
@click.option(
    "--credential",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A credential, repeatable (e.g. api_key=sk_...). Stored encrypted.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ...} only.')
@click.option("--no-check", is_flag=True, help="Store it without trying the connection first.")
@pass_app
def add(
    app: AppContext,
    tenant: str,
    venue: str,
    provider: str,
    base_url: str | None,
    name: str | None,
    pairs: tuple[str, ...],
    as_json: bool,
    no_check: bool,
) -> None:
    """Store an integration, once one request with its credentials went through (unless
    --no-check); prints its id on the last line."""
    for option, value in (("--tenant", tenant), ("--venue", venue)):
        if not value.strip():
            raise BadUsage(f"{option} is empty: give the {option[2:]} id")
    credentials = parse_credentials(pairs)
    try:
        validate_credentials(provider, credentials)
        base_url = validate_base_url(base_url) if base_url is not None else None
    except CredentialError as exc:
        raise BadUsage(str(exc)) from None
    try:
        integration = _store(app).add_integration(
            tenant_id=tenant,
            venue_id=venue,
            provider=provider,
            credentials=credentials,
            base_url=base_url,
            name=name,
        )
    except VenueOwnedError as exc:
        raise BadUsage(str(exc)) from None
    if not no_check:
        _check_or_remove(app, integration)
    if as_json:
        click.echo(json.dumps({"id": integration.id}))
        return
    click.echo(f"Added {provider} integration for venue {venue} (tenant {tenant}).")
    click.echo(integration.id)


@integrations.command("list")
@click.option("--tenant", help="Only this tenant's integrations.")
@click.option("--venue", help="Only this venue's integrations.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, credentials masked.")
@pass_app
def list_(app: AppContext, tenant: str | None, venue: str | None, as_json: bool) -> None:
    """Show integrations with their credentials masked."""
    found = [
        describe(item) for item in _store(app).list_integrations(tenant_id=tenant, venue_id=venue)
    ]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("No integrations. Add one with `intsync integrations add`.")
        return
    for item in found:
        shown = " ".join(f"{key}={value}" for key, value in item["credentials"].items())
        label = f" {item['name']!r}" if item["name"] else ""
        click.echo(
            f"{item['id']}  {item['provider']:<10} tenant={item['tenant_id']} "
            f"venue={item['venue_id']}{label} status={item['status']}"
            + (f" base_url={item['base_url']}" if item["base_url"] else "")
            + f"  {shown}"
        )


@integrations.command("update")
@click.argument("integration_id")
@click.option(
    "--credential",
    "pairs",
    multiple=True,
    required=True,
    metavar="KEY=VALUE",
    help="A credential to set, repeatable; the others stay. Stored encrypted.",
)
@click.option("--no-check", is_flag=True, help="Save without trying the connection first.")
@pass_app
def update(app: AppContext, integration_id: str, pairs: tuple[str, ...], no_check: bool) -> None:
    """Replace credentials of integration ID (a rotated key), keeping its id, history and
    cursors; the new credentials are tried first unless --no-check."""
    store = _store(app)
    try:
        current = store.get_integration(integration_id)
    except NotFoundError as exc:
        raise BadUsage(f"{exc}: see `intsync integrations list`") from None
    credentials = {**current.credentials, **parse_credentials(pairs)}
    try:
        validate_credentials(current.provider, credentials)
    except CredentialError as exc:
        raise BadUsage(str(exc)) from None
    if not no_check:
        _check(app, dataclasses.replace(current, credentials=credentials))
    store.update_credentials(integration_id, credentials)
    keys = ", ".join(sorted(parse_credentials(pairs)))
    click.echo(f"Updated {keys} of {integration_id}.")


def _check(app: AppContext, integration: Integration) -> None:
    """Try the connection; a one-line error (exit 1) saying why it failed."""
    from pipelines.check import ConnectionCheckError, check_connection

    try:
        click.echo(check_connection(integration, _store(app)), err=True)
    except ConnectionCheckError as exc:
        raise click.ClickException(
            f"{exc}\nFix the credentials or --base-url, or give --no-check to skip the check."
        ) from None


def _check_or_remove(app: AppContext, integration: Integration) -> None:
    """Try a just-stored integration's connection; remove it again when that fails."""
    try:
        _check(app, integration)
    except click.ClickException:
        _store(app).remove_integration(integration.id)
        raise


@integrations.command("remove")
@click.argument("integration_id")
@pass_app
def remove(app: AppContext, integration_id: str) -> None:
    """Delete an integration and its stored credentials (its sync history and warehouse rows
    stay); its loaders' emptied staging datasets and dlt working folders go too."""
    try:
        _store(app).remove_integration(integration_id)
    except NotFoundError as exc:
        raise BadUsage(str(exc)) from None
    click.echo(f"Removed {integration_id}.")
    from pipelines.loaders import discard_loaders
    from warehouse.destinations import Warehouse

    settings = app.settings
    try:
        gone = discard_loaders(
            Warehouse(settings.warehouse_url), settings.dlt_dir, {integration_id}
        )
    except Exception as exc:  # the warehouse may be down: the clean-up flow drops them later
        click.echo(
            f"Its staging datasets stay for now ({type(exc).__name__}: {exc}); "
            "the clean-up flow drops them.",
            err=True,
        )
        return
    if gone:
        click.echo(f"Dropped its staging datasets and working folders: {', '.join(gone)}.")


@integrations.command("rotate-key")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the new key (at least 16 characters).",
)
@click.option("--new-key-env", metavar="VAR", help="Environment variable holding the new key.")
@pass_app
def rotate_key(app: AppContext, new_key_file: Path | None, new_key_env: str | None) -> None:
    """Re-encrypt every stored secret with a new key, in one transaction."""
    new_key, source = read_new_key(new_key_file, new_key_env)
    if new_key == app.settings.secret_key():
        raise BadUsage(f"the new key ({source}) is the key already in use: nothing to do")
    count = _store(app).rotate_key(new_key)
    click.echo(f"Re-encrypted {count} stored secrets with the new key from {source}.")
    if app.settings.secret_key_env is None:
        key_file = app.settings.home / SECRET_KEY_FILE
        _write_private(key_file, new_key)
        click.echo(f"Wrote the new key to {key_file}. Restart running intsync processes.")
    else:
        click.echo(
            f"Now set INTSYNC_SECRET_KEY to the new key ({source}) wherever intsync runs "
            "(web service, workers) and restart them: the old key no longer opens this store."
        )


def _store(app: AppContext) -> Store:
    """The store, or a one-line error (exit 1) when it cannot be opened, e.g. a wrong key."""
    try:
        return app.store
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def parse_credentials(pairs: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` options into a dict; BadUsage (never echoing a value) when malformed."""
    credentials: dict[str, str] = {}
    for position, pair in enumerate(pairs, start=1):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            # The text may be a bare secret: say where it is, not what it is.
            raise BadUsage(
                f"--credential number {position} has no '=': write it as KEY=VALUE, "
                "e.g. --credential api_key=sk_test_..."
            )
        if not key:
            raise BadUsage(f"--credential number {position} has no key before '='")
        if not value:
            raise BadUsage(f"--credential {key}= has an empty value")
        if key in credentials:
            raise BadUsage(f"--credential {key} is given twice: keep one")
        credentials[key] = value
    return credentials


def describe(integration: Integration) -> dict[str, Any]:
    """An integration as JSON-ready data, secret credentials masked."""
    described = PROVIDERS.get(integration.provider)
    info = described.credentials if described else None
    plain = (info.keys - set(info.secret_keys)) if info else set()
    return {
        "id": integration.id,
        "tenant_id": integration.tenant_id,
        "venue_id": integration.venue_id,
        "provider": integration.provider,
        "name": integration.name,
        "base_url": integration.base_url,
        "status": integration.status,
        "status_message": integration.status_message,
        "credentials": {
            key: value if key in plain else mask(value)
            for key, value in sorted(integration.credentials.items())
        },
        "created_at": integration.created_at.isoformat(),
        "updated_at": integration.updated_at.isoformat(),
    }


def read_new_key(key_file: Path | None, key_env: str | None) -> tuple[str, str]:
    """The new key and a description of where it came from (never the key itself)."""
    if (key_file is None) == (key_env is None):
        raise BadUsage("give exactly one of --new-key-file PATH or --new-key-env VAR")
    if key_file is not None:
        if not key_file.is_file():
            raise BadUsage(f"--new-key-file {key_file}: no such file")
        key, source = key_file.read_text().strip(), f"the file {key_file}"
    else:
        key, source = os.environ.get(key_env or "", "").strip(), f"${key_env}"
    if len(key) < MIN_KEY_CHARS:
        raise BadUsage(f"the new key in {source} is empty or shorter than {MIN_KEY_CHARS} chars")
    return key, source


def _write_private(path: Path, key: str) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    os.replace(tmp, path)

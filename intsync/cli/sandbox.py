"""`intsync sandbox`: run local emulators of the provider APIs in the foreground."""

from __future__ import annotations

import sys

import click

from connectors.sandbox.errors import SandboxUsageError
from connectors.sandbox.options import SandboxOptions
from connectors.sandbox.server import SandboxServer, serve_until_signalled
from connectors.sandboxes import available, build, seedable
from intsync.cli.context import BadUsage

DEFAULT_PORT = 12111


@click.command("sandbox")
@click.argument("providers", nargs=-1, metavar="[PROVIDER ...]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port of the first sandbox; the others take the next ports. 0: free ports.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the first account.")
@click.option(
    "--count",
    "counts",
    multiple=True,
    metavar="RESOURCE=N",
    help="Objects to seed per account, e.g. --count charges=200000 (repeatable).",
)
@click.option(
    "--accounts",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Number of accounts, with generated test keys (default 1).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Serve an account for this test credential (repeatable); replaces --accounts.",
)
@click.option(
    "--now",
    type=int,
    default=None,
    help="Unix time seeded data ends at (default: today 00:00 UTC).",
)
@click.option(
    "--same-ids",
    is_flag=True,
    help="Seed every account with --seed: the accounts hold the same ids (venue isolation).",
)
def sandbox(
    providers: tuple[str, ...],
    host: str,
    port: int,
    seed: int,
    counts: tuple[str, ...],
    accounts: int | None,
    api_keys: tuple[str, ...],
    now: int | None,
    same_ids: bool,
) -> None:
    """Run local emulators of the provider APIs until interrupted (Ctrl-C or SIGTERM).

    PROVIDER is one or more of the providers that have a sandbox (default: all). Each sandbox
    listens on its own port: the first on --port, the next on --port + 1, and so on in the
    order given (with --port 0, each on a free port). For each one, a line with its test
    credentials is printed, then `ready PROVIDER URL`. Account i (from 0) is seeded with
    --seed + i (--seed with --same-ids), so the same options give the same objects. Tests drive state and faults over
    URL/_sandbox/ (faults, mutate, objects/RESOURCE, stats, reset, webhooks, info).
    """
    names = list(providers) or available()
    if accounts is not None and api_keys:
        raise BadUsage("give either --accounts or --api-key, not both")
    try:
        parsed = _parse_counts(counts, names)
        apps = [
            (name, build(name, _options(name, seed, parsed, accounts, api_keys, now, same_ids)))
            for name in names
        ]
    except SandboxUsageError as exc:
        raise BadUsage(str(exc)) from exc
    servers = []
    for offset, (name, app) in enumerate(apps):
        app.prepare()
        try:
            servers.append((name, SandboxServer(app, host, port + offset if port else 0)))
        except OSError as exc:
            for _, started in servers:
                started.stop()
            raise click.ClickException(
                f"cannot listen on {host}:{port + offset if port else 0} for {name}: "
                f"{exc.strerror or exc} (choose another --port, or --port 0)"
            ) from exc
    by_server = {
        id(server): (name, app) for (name, server), (_, app) in zip(servers, apps, strict=True)
    }

    def announce(server: SandboxServer) -> None:
        name, app = by_server[id(server)]
        credentials = _credentials(app.info())
        click.echo(f"{name} credentials: {', '.join(credentials)}")
        click.echo(f"ready {name} {server.url}")
        sys.stdout.flush()

    serve_until_signalled([server for _, server in servers], announce)


def _options(
    name: str,
    seed: int,
    counts: dict[str, dict[str, int]],
    accounts: int | None,
    api_keys: tuple[str, ...],
    now: int | None,
    same_ids: bool = False,
) -> SandboxOptions:
    return SandboxOptions(
        seed=seed,
        counts=counts.get(name, {}),
        accounts=accounts or 1,
        credentials=api_keys,
        now=now,
        same_ids=same_ids,
    )


def _parse_counts(raw: tuple[str, ...], names: list[str]) -> dict[str, dict[str, int]]:
    """`charges=10` for every provider that seeds charges (or `stripe.charges=10` for one)."""
    out: dict[str, dict[str, int]] = {name: {} for name in names}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise SandboxUsageError(f"--count {item!r}: expected RESOURCE=N, e.g. charges=1000")
        provider, dot, resource = key.strip().rpartition(".")
        targets = [provider] if dot else [n for n in names if resource in seedable(n)]
        if not targets or (dot and provider not in names):
            raise SandboxUsageError(
                f"--count {item!r}: no sandbox among {', '.join(names)} seeds {resource!r}"
            )
        for target in targets:
            out[target][resource] = int(value)
    return out


def _credentials(info: dict[str, object]) -> list[str]:
    found: list[str] = []
    for key in ("api_keys", "credentials", "connected_accounts"):
        value = info.get(key)
        if isinstance(value, list):
            found.extend(str(v) for v in value)
    return found

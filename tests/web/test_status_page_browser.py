"""The status page in a real browser: Debian's Chromium (scripts/ensure-browser, run by `make
test`) driven by Selenium against `intsync web` serving a home synced from a Stripe sandbox. It
signs in with an admin token, clicks venues -> venue -> integration history, filters, resets a
breaker, and checks what each page says against the store and the warehouse. Screenshots go to
tests/.screenshots/ (ignored by git)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from connectors.common.rate import forget_budgets
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from tests.acceptance.conftest import stop
from tests.acceptance.test_api_docs import free_port, private_env
from tests.acceptance.test_webhooks_e2e import start_web
from tests.intsync.test_cli_status import intsync
from warehouse.breakers import BreakerPolicy, CircuitBreaker
from warehouse.destinations import Warehouse
from warehouse.quarantine import open_quarantine
from warehouse.store import open_store
from warehouse.store.sync_log_queries import LogFilter, find_sync_logs

CHROMIUM = os.environ.get("INTSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("INTSYNC_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / ".screenshots"
KEY = "status-page-secret-key-0123456789"
JWT_SECRET = "status-page-jwt-secret-0123456789abcdef"
GOOD_KEY = "sk_test_page_good_0001"
REVOKED_KEY = "sk_test_page_revoked_0002"
OTHER_KEY = "sk_test_page_other_0003"


def token(tenant: str = "tenant-a", roles: tuple[str, ...] = ("admin",)) -> str:
    claims = {
        "sub": "ops-1",
        "tenant_id": tenant,
        "venues": [],
        "roles": list(roles),
        "aud": "intsync",
        "iss": "auth-service",
        "exp": int(time.time()) + 3600,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """tenant-a: venue-good synced (a charge quarantined), its integration's breaker open and
    a dead letter; venue-revoked refused with a 401. tenant-b: venue-other, synced. Then
    `intsync web` on that home."""
    home = tmp_path_factory.mktemp("status-page") / "home"
    env = private_env(
        home, INTSYNC_SECRET_KEY=KEY, INTSYNC_JWT_SECRET=JWT_SECRET, INTSYNC_READ_PROCESSES="1"
    )
    forget_budgets()
    seeds = {
        GOOD_KEY: SeedSpec(seed=3, counts={"customers": 5, "charges": 6}),
        OTHER_KEY: SeedSpec(seed=4, counts={"customers": 3, "charges": 2}),
    }
    sandbox = StripeSandbox(seeds)
    sandbox.create(GOOD_KEY, "charges", {"amount": 1999, "currency": "kwd"})  # quarantined
    ids: dict[str, str] = {}
    with SandboxServer(sandbox) as server:
        for tenant, venue, key in (
            ("tenant-a", "venue-good", GOOD_KEY),
            ("tenant-a", "venue-revoked", REVOKED_KEY),
            ("tenant-b", "venue-other", OTHER_KEY),
        ):
            added = intsync(
                env, "integrations", "add", "--no-check", "--tenant", tenant, "--venue", venue,
                "--provider", "stripe", "--base-url", server.url,
                "--credential", f"api_key={key}", "--json",
            )  # fmt: skip
            ids[venue] = json.loads(added.stdout.strip().splitlines()[-1])["id"]
        intsync(env, "sync", "--all", check=False)
    store = open_store(f"sqlite:///{home / 'intsync.db'}", KEY)
    store.add_dead_letter(
        kind="sync",
        integration_id=ids["venue-good"],
        payload={"integration_id": ids["venue-good"]},
        reason="charges: HTTP 503",
        attempts=4,
    )
    CircuitBreaker(
        store, f"integration:{ids['venue-good']}", BreakerPolicy(failures=2, cooldown=600)
    ).record_failure()
    CircuitBreaker(
        store, f"integration:{ids['venue-good']}", BreakerPolicy(failures=2, cooldown=600)
    ).record_failure()
    port = free_port()
    process = start_web(env, port, "--workers", "1")
    try:
        yield {
            "base": f"http://127.0.0.1:{port}",
            "ids": ids,
            "store": store,
            "warehouse": Warehouse(f"duckdb:///{home / 'warehouse.duckdb'}"),
        }
    finally:
        stop(process)
        store.close()
        forget_budgets()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert Path(path).exists(), f"{path} is missing: run scripts/ensure-browser (make browser)"
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1500,1000")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def cells(driver: Any, row_css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    row = driver.find_element(By.CSS_SELECTOR, row_css)
    return [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]


def sign_in(driver: Any, base: str, with_token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "token").send_keys(with_token)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def test_an_operator_signs_in_clicks_through_filters_and_resets_a_breaker(
    site: dict[str, Any], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, ids, store = site["base"], site["ids"], site["store"]
    good_breaker = f"integration:{ids['venue-good']}"

    browser.get(base + "/status/")
    assert "/status/sign-in" in browser.current_url
    sign_in(browser, base, token(roles=()))  # a token without the admin role
    assert "no admin role" in browser.find_element(By.ID, "sign-in-error").text
    sign_in(browser, base, token())

    # venues: tenant-a's two, not tenant-b's; the figures are the store's and the warehouse's
    venues = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#venues tbody th")]
    assert venues == ["venue-good", "venue-revoked"]
    quarantined = sum(g.records for g in open_quarantine(site["warehouse"], "venue-good"))
    assert quarantined >= 1
    good = cells(browser, "tr[data-venue='venue-good']")
    assert good[1:5] == ["1", "0", "0", "1"]  # integrations, failing, reconnect, open breakers
    assert good[6:] == [str(quarantined), "1"]
    revoked = cells(browser, "tr[data-venue='venue-revoked']")
    assert revoked[1:5] == ["1", "1", "1", "0"]  # its last sync failed: a 401
    browser.save_screenshot(str(SCREENSHOTS / "status-venues.png"))

    # venue -> integrations, breakers, quarantine
    browser.find_element(By.LINK_TEXT, "venue-good").click()
    row = cells(browser, f"tr[data-integration='{ids['venue-good']}']")
    assert row[1:3] == ["stripe", "in step"] and row[6] == "1"
    assert cells(browser, f"tr[data-breaker='{good_breaker}']")[1:3] == ["open", "2"]
    table_counts = {
        tr.find_element(By.TAG_NAME, "th").text: tr.find_element(By.TAG_NAME, "td").text
        for tr in browser.find_elements(By.CSS_SELECTOR, "#quarantine tbody tr")
    }
    assert table_counts.get("stripe_charges") == "1"
    browser.save_screenshot(str(SCREENSHOTS / "status-venue-breaker-open.png"))

    # reset the open breaker: the page says so, and so does the store
    browser.find_element(
        By.CSS_SELECTOR, f"button[aria-label='Reset breaker {good_breaker}']"
    ).click()
    assert (
        f"Breaker {good_breaker} closed." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    )
    assert cells(browser, f"tr[data-breaker='{good_breaker}']")[1:3] == ["closed", "0"]
    assert (
        store.get_breaker(good_breaker).state,
        store.get_breaker(good_breaker).consecutive_failures,
    ) == ("closed", 0)

    # integration -> its history, then filtered to one resource
    browser.find_element(By.LINK_TEXT, ids["venue-good"]).click()
    logged = find_sync_logs(store, LogFilter(integration_id=ids["venue-good"]), 50)
    shown = [
        int(e.get_attribute("data-log"))
        for e in browser.find_elements(By.CSS_SELECTOR, "#history tbody tr[data-log]")
    ]
    assert shown == [log.id for log in logged]
    Select(browser.find_element(By.ID, "f-resource")).select_by_visible_text("charges")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    assert "resource=charges" in browser.current_url
    charges = find_sync_logs(store, LogFilter(integration_id=ids["venue-good"], resource="charges"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr[data-log]")
    assert [int(r.get_attribute("data-log")) for r in rows] == [log.id for log in charges]
    first = cells(browser, f"tr[data-log='{charges[0].id}']")
    assert first[2:6] == [
        "charges",
        charges[0].status,
        str(charges[0].rows_extracted),
        str(charges[0].rows_loaded),
    ]
    browser.save_screenshot(str(SCREENSHOTS / "status-history-charges.png"))

    # the revoked venue's history, failures only: each says why
    browser.get(f"{base}/status/integrations/{ids['venue-revoked']}?status=failed")
    failed = find_sync_logs(store, LogFilter(integration_id=ids["venue-revoked"], status="failed"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr[data-log]")
    assert failed and len(rows) == len(failed)
    assert " ".join(failed[0].error_message.split()) in " ".join(rows[0].text.split())


def test_another_tenants_integration_is_not_found(site: dict[str, Any], browser: Any) -> None:
    browser.get(f"{site['base']}/status/integrations/{site['ids']['venue-other']}")

    assert "no integration" in browser.page_source


def test_the_session_cookie_and_forms_are_protected(site: dict[str, Any]) -> None:
    base, store = site["base"], site["store"]
    name = f"integration:{site['ids']['venue-revoked']}"
    CircuitBreaker(store, name, BreakerPolicy(failures=1, cooldown=600)).record_failure()
    session = requests.Session()
    form = session.get(base + "/status/sign-in", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    signed = session.post(
        base + "/status/sign-in",
        data={"csrf_token": csrf.group(1), "token": token()},
        allow_redirects=False,
        timeout=10,
    )
    cookie = signed.headers["Set-Cookie"]
    assert signed.status_code == 302
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and token() not in cookie

    page = session.get(base + "/status/", timeout=10).text
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert fresh is not None and fresh.group(1) != csrf.group(1)  # a new token once signed in
    forged = session.post(f"{base}/status/breakers/{name}/reset", data={}, timeout=10)
    stale = session.post(
        f"{base}/status/breakers/{name}/reset", data={"csrf_token": csrf.group(1)}, timeout=10
    )
    other = session.post(
        f"{base}/status/breakers/integration:{site['ids']['venue-other']}/reset",
        data={"csrf_token": fresh.group(1)},
        timeout=10,
    )

    assert (forged.status_code, stale.status_code) == (400, 400)
    assert store.get_breaker(name).state == "open"
    assert other.status_code == 404  # another tenant's integration
    assert requests.get(base + "/status/", timeout=10, allow_redirects=False).status_code == 302

"""Prometheus metrics: counters kept by this process, store-wide figures read at scrape time.

Counters and latencies are per process (gunicorn worker); inbox depth, dead letters, breaker
states and sync outcomes come from the operational store and are the same from any worker.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from warehouse.store.types import utcnow

if TYPE_CHECKING:
    from warehouse.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BREAKER_VALUE = {"closed": 0, "half_open": 1, "open": 2}
SYNC_WINDOW = timedelta(hours=24)
MAX_LOGS_SCANNED = 10_000
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """One app's metrics registry and recent webhook latencies."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "intsync_webhooks",
            "Webhook deliveries by provider and outcome",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "intsync_webhook_latency_seconds",
            "Time to verify and durably store a webhook delivery",
            ["provider"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "intsync_http_requests",
            "HTTP requests by route and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(store))
        self._recent: deque[tuple[str, float]] = deque(maxlen=5000)
        self._lock = threading.Lock()

    def webhook(self, provider: str, outcome: str, seconds: float | None = None) -> None:
        """Count one delivery; `seconds` when it got as far as being verified."""
        self.webhooks.labels(provider, outcome).inc()
        if seconds is not None:
            self.webhook_latency.labels(provider).observe(seconds)
            with self._lock:
                self._recent.append((provider, seconds))

    def recent_latencies(self) -> dict[str, list[float]]:
        """The last few thousand webhook latencies, by provider, sorted."""
        with self._lock:
            items = list(self._recent)
        by_provider: dict[str, list[float]] = {}
        for provider, seconds in items:
            by_provider.setdefault(provider, []).append(seconds)
        return {p: sorted(v) for p, v in by_provider.items()}

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Figures from the operational store, read when scraped."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.store.inbox_stats()
        inbox = GaugeMetricFamily(
            "intsync_inbox_events", "Inbox events by status", labels=["status"]
        )
        for status in ("pending", "processing", "done", "failed"):
            inbox.add_metric([status], stats.get(status, 0))
        yield inbox
        yield GaugeMetricFamily(
            "intsync_inbox_duplicates", "Duplicate deliveries dropped", value=stats["duplicates"]
        )
        yield GaugeMetricFamily(
            "intsync_dead_letters", "Dead letters waiting", value=self.store.count_dead_letters()
        )
        breakers = GaugeMetricFamily(
            "intsync_circuit_breaker_state",
            "Breaker state: 0 closed, 1 half-open, 2 open",
            labels=["name"],
        )
        for breaker in self.store.list_breakers():
            breakers.add_metric([breaker.name], BREAKER_VALUE.get(breaker.state, 2))
        yield breakers
        yield from _sync_families(self.store)


def _sync_families(store: Store) -> Iterator[GaugeMetricFamily]:
    runs = GaugeMetricFamily(
        "intsync_sync_resources_24h",
        "Resource syncs started in the last 24 hours, by provider and status",
        labels=["provider", "status"],
    )
    rows = GaugeMetricFamily(
        "intsync_sync_rows_loaded_24h",
        "Rows loaded by syncs in the last 24 hours, by provider",
        labels=["provider"],
    )
    failures = GaugeMetricFamily(
        "intsync_sync_failures_24h",
        "Failed resource syncs in the last 24 hours",
        labels=["provider"],
    )
    counts: dict[tuple[str, str], int] = {}
    loaded: dict[str, int] = {}
    failed: dict[str, int] = {}
    for log in store.list_sync_logs(since=utcnow() - SYNC_WINDOW, limit=MAX_LOGS_SCANNED):
        counts[(log.provider, log.status)] = counts.get((log.provider, log.status), 0) + 1
        loaded[log.provider] = loaded.get(log.provider, 0) + log.rows_loaded
        if log.status == "failed":
            failed[log.provider] = failed.get(log.provider, 0) + 1
    for (provider, status), n in sorted(counts.items()):
        runs.add_metric([provider, status], n)
    for provider, n in sorted(loaded.items()):
        rows.add_metric([provider], n)
        failures.add_metric([provider], failed.get(provider, 0))
    yield runs
    yield rows
    yield failures

"""Reading specs keeps nothing behind: the web worker's memory stays flat over 1,000 validate
requests (a constructor kept for the process once held every YAML node it had built)."""

from __future__ import annotations

import gc
import tracemalloc

from connectors.registry import CATALOGUE
from mappings.loader import load_spec_text
from tests.mappings.test_hostile_specs import API, api  # noqa: F401  (the fixture)
from tests.web.conftest import auth, make_token

# every kind of value a spec builds: text, numbers, dates, lists and mappings under const
SPEC = (
    "provider: stripe\nresource: charges\ntable: stripe_charges\n"
    "description: charges, as a test reads them\nfields:\n  id: id\n"
    + "".join(
        f"  c{i}: {{const: {{n: {i}, when: 2024-01-0{1 + i % 9}, at: 2020-01-01T00:00:00Z, "
        f"tags: [a, b, {i}.5]}}, "
        f"description: column {i}}}\n"
        for i in range(6)
    )
)
GROWTH_BOUND = 2_000_000  # bytes; a constructor kept for the process held 27 MB after these 1,000


def _traced_growth(step: object, warm: int, count: int) -> int:
    """Bytes still allocated after `count` more calls of `step` than after `warm` calls."""
    tracemalloc.start()
    try:
        for _ in range(warm):
            step()  # type: ignore[operator]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            step()  # type: ignore[operator]
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_loading_a_spec_many_times_keeps_nothing():
    growth = _traced_growth(lambda: load_spec_text(SPEC, CATALOGUE), warm=20, count=200)
    assert growth < GROWTH_BOUND, f"{growth:,} bytes kept after 200 loads"


def test_the_web_worker_stays_flat_over_1000_validate_requests(api):  # noqa: F811
    headers = auth(make_token())

    def validate() -> None:
        response = api.post(API, json={"yaml": SPEC}, headers=headers)
        assert response.json == {"valid": True, "issues": []}

    growth = _traced_growth(validate, warm=50, count=1000)
    assert growth < GROWTH_BOUND, f"{growth:,} bytes kept after 1,000 requests"

from __future__ import annotations

import pytest

from pipelines.prefetch import prefetched


def test_pages_come_in_order():
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_a_producer_error_surfaces_after_the_pages_before_it():
    def pages():
        yield 1
        yield 2
        raise RuntimeError("provider went away")

    seen = []
    with pytest.raises(RuntimeError, match="provider went away"):
        for page in prefetched(pages()):
            seen.append(page)
    assert seen == [1, 2]


def test_stopping_early_stops_the_producer():
    produced = []

    def pages():
        for n in range(10_000):
            produced.append(n)
            yield n

    for page in prefetched(pages(), depth=2):
        if page == 3:
            break
    assert len(produced) < 10, "the producer stays at most a few pages ahead and then stops"

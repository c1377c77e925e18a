from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from warehouse.destinations import Warehouse
from warehouse.leases import IntegrationLeases

pytestmark = pytest.mark.postgres


def test_a_second_worker_waits_for_the_integration_the_first_holds(pg_database):
    warehouse = Warehouse(pg_database)
    first, second = IntegrationLeases(warehouse), IntegrationLeases(warehouse)
    assert first.acquire("int_a") is False, "free: taken at once"
    assert second.acquire("int_b") is False, "another integration is not held"
    waited: list[bool] = []
    waiting = threading.Thread(target=lambda: waited.append(second.acquire("int_a")))
    waiting.start()
    time.sleep(0.5)
    assert waiting.is_alive(), "int_a is held: the second waits"
    first.release("int_a")
    waiting.join(timeout=10)
    assert waited == [True], "it took the lease once released, and says it waited"
    second.close()
    assert first.acquire("int_a") is False and first.acquire("int_b") is False
    first.close()


def test_the_leases_of_a_worker_that_dies_are_freed(pg_database):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from warehouse.destinations import Warehouse\n"
            "from warehouse.leases import IntegrationLeases\n"
            "leases = IntegrationLeases(Warehouse(sys.argv[1]))\n"
            "leases.acquire('int_a')\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
            pg_database,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    leases = IntegrationLeases(Warehouse(pg_database))
    taken: list[bool] = []
    waiting = threading.Thread(target=lambda: taken.append(leases.acquire("int_a")))
    waiting.start()
    time.sleep(0.5)
    assert waiting.is_alive()
    holder.kill()
    holder.wait()
    waiting.join(timeout=30)
    assert taken == [True]
    leases.close()

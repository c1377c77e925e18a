from __future__ import annotations

import pytest

from connectors.common.resources import resource_named
from connectors.errors import ConfigurationError


def test_a_known_resource_is_returned_and_an_unknown_one_names_the_choices():
    assert resource_named("stripe", {"charges": 1, "customers": 2}, "charges") == 1
    with pytest.raises(
        ConfigurationError, match="stripe has no resource 'chrges': choose from charges, customers"
    ):
        resource_named("stripe", {"charges": 1, "customers": 2}, "chrges")

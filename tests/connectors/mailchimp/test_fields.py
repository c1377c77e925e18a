"""Mailchimp's field catalogue, written from the Marketing API's documented objects: it holds
every field the sandbox's records carry, and merge fields take any tag."""

from __future__ import annotations

from connectors.mailchimp.resources import RESOURCES
from connectors.registry import connector_resources, field_catalogue
from mappings.catalogue import ANYTHING, Miss, field_names, follow
from tests.connectors.fields_support import fields_outside_catalogue


def test_every_resource_read_has_a_catalogue():
    assert connector_resources("mailchimp") == RESOURCES
    for resource in RESOURCES:
        assert "id" in field_names(field_catalogue("mailchimp", resource))


def test_documented_objects_and_the_connectors_key():
    members = field_catalogue("mailchimp", "members")
    assert {"email_address", "status", "last_changed", "uid"} <= set(field_names(members))
    assert follow(members, ("merge_fields", "MMERGE5"), "") == ANYTHING
    assert field_names(follow(members, ("tags", 0), "")) == ["id", "name"]
    reports = field_catalogue("mailchimp", "reports")
    assert isinstance(follow(reports, ("opens", "open_rte"), ""), Miss)


def test_sandbox_records_keep_to_the_catalogue(connect):
    assert fields_outside_catalogue(connect()) == {}

"""Venue overrides and `extends:`: a venue changes or adds fields without copying the spec, and
loading finds every spec's problems before any sync starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings import SpecValidationError, UnknownSpecError, load_specs

MEMBERS = """\
provider: mailchimp
resource: members
table: mailchimp_members
fields:
  id: id
  email: {path: email_address, transform: [trim, lower]}
  first_name: merge_fields.FNAME
  status: status
"""
PAYMENTS = """\
provider: {provider}
resource: {resource}
table: payments
fields:
  id: id
  amount: {amount}
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_venue_override_adds_and_replaces_fields_for_that_venue_only(tmp_path, context):
    root = tree(
        tmp_path,
        {
            "specs/mailchimp/members.yaml": MEMBERS,
            "overrides/venue_9/mailchimp/members.yaml": "fields:\n  company: merge_fields.MMERGE5\n  first_name: merge_fields.FIRST\n",
        },
    )
    spec_set = load_specs(root / "specs")
    (base,) = spec_set.for_resource("mailchimp", "members")
    (own,) = spec_set.for_resource("mailchimp", "members", venue_id="venue_9")
    (other,) = spec_set.for_resource("mailchimp", "members", venue_id="venue_1")
    assert other is base and own.venue_id == "venue_9"
    assert [f.name for f in own.fields] == ["id", "email", "first_name", "status", "company"]
    assert own.field("first_name").paths[0].text == "merge_fields.FIRST"
    assert own.files == (
        str(root / "specs/mailchimp/members.yaml"),
        str(root / "overrides/venue_9/mailchimp/members.yaml"),
    )
    assert spec_set.overridden_venues("mailchimp", "members") == ["venue_9"]


def test_override_can_drop_a_field_by_setting_it_to_null(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/mailchimp/members.yaml": MEMBERS,
            "overrides/v/mailchimp/members.yaml": "fields:\n  first_name: ~\n",
        },
    )
    (own,) = load_specs(root / "specs").for_resource("mailchimp", "members", venue_id="v")
    assert [f.name for f in own.fields] == ["id", "email", "status"]


def test_override_errors_point_into_the_override_file(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/mailchimp/members.yaml": MEMBERS,
            "overrides/v/mailchimp/members.yaml": "table: elsewhere\nfields:\n  x: {path: y, "
            "transform: lowr}\n",
            "overrides/v/mailchimp/lists.yaml": "fields:\n  x: y\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert [str(i).replace(str(root) + "/", "") for i in raised.value.errors] == [
        "overrides/v/mailchimp/lists.yaml:1:1: no staging spec reads mailchimp lists, so there "
        "is nothing to override",
        "overrides/v/mailchimp/members.yaml:1:1: an override cannot set 'table': it may change "
        "fields, children, where, unmapped, description",
    ]


def test_override_field_errors_are_found_at_load(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/mailchimp/members.yaml": MEMBERS,
            "overrides/v/mailchimp/members.yaml": "fields:\n  x: {path: y, transform: lowr}\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert [i.message for i in raised.value.errors] == [
        "unknown transform 'lowr' (did you mean 'lower'?)"
    ]
    assert raised.value.errors[0].path.endswith("overrides/v/mailchimp/members.yaml")
    assert (raised.value.errors[0].line, raised.value.errors[0].column) == (2, 27)


def test_extends_reuses_a_spec_and_changes_what_it_names(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/mailchimp/members.yaml": MEMBERS,
            "specs/mailchimp/members_vip.yaml": 'extends: members.yaml\ntable: mailchimp_vip_members\nwhere: "vip == true"\n'
            "fields:\n  vip: {path: vip, type: boolean}\n  status: ~\n",
        },
    )
    spec_set = load_specs(root / "specs")
    vip = spec_set.for_table("mailchimp_vip_members")[0]
    assert [f.name for f in vip.fields] == ["id", "email", "first_name", "vip"]
    assert vip.where_text == "vip == true"
    assert len(spec_set.for_resource("mailchimp", "members")) == 2


def test_extends_cycle_is_an_error(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/a/x.yaml": "extends: y.yaml\n",
            "specs/a/y.yaml": "extends: x.yaml\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert any("leads back to this file" in i.message for i in raised.value.errors)


def test_core_table_from_several_providers(tmp_path, context):
    root = tree(
        tmp_path,
        {
            "specs/core/payments/stripe_charges.yaml": PAYMENTS.format(
                provider="stripe",
                resource="charges",
                amount="{path: amount, transform: minor_units, currency_path: currency}",
            ),
            "specs/core/payments/quickbooks_payments.yaml": PAYMENTS.format(
                provider="quickbooks",
                resource="payments",
                amount="{path: TotalAmt, transform: to_decimal, type: 'decimal(18,2)'}",
            ),
            "specs/stripe/charges.yaml": "provider: stripe\nresource: charges\ntable: stripe_charges\n"
            "fields:\n  id: id\n",
        },
    )
    spec_set = load_specs(root / "specs")
    assert [s.provider for s in spec_set.for_table("core.payments")] == ["quickbooks", "stripe"]
    staging, core = spec_set.for_resource("stripe", "charges")
    assert (staging.dataset, core.dataset, core.table) == ("staging", "core", "payments")


def test_core_specs_of_one_table_must_agree_on_types(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/core/payments/a_charges.yaml": PAYMENTS.format(
                provider="a", resource="charges", amount="{path: amount, type: double}"
            ),
            "specs/core/payments/b_payments.yaml": PAYMENTS.format(
                provider="b", resource="payments", amount="{path: amount, type: 'decimal(18,2)'}"
            ),
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    (issue,) = raised.value.errors
    assert issue.message == (
        f"column 'amount' is double in {root}/specs/core/payments/a_charges.yaml but "
        "decimal(18,2) here: specs of core.payments must agree on column types"
    )
    assert (issue.line, issue.column) == (6, 3)


def test_two_staging_specs_cannot_write_one_table(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/stripe/charges.yaml": "provider: stripe\nresource: charges\ntable: t\n"
            "fields:\n  id: id\n",
            "specs/stripe/refunds.yaml": "provider: stripe\nresource: refunds\ntable: t\n"
            "fields:\n  id: id\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert raised.value.errors[0].message.startswith("table 't' is also written by ")


def test_errors_across_files_are_all_reported(tmp_path):
    root = tree(
        tmp_path,
        {
            "specs/stripe/a.yaml": "provider: stripe\nresource: a\ntable: a\nfields:\n  id: {path: "
            "id, transform: nope}\n",
            "specs/stripe/b.yaml": "provider: stripe\nresource: b\ntable: b\nfields:\n  id: [\n",
        },
    )
    with pytest.raises(SpecValidationError) as raised:
        load_specs(root / "specs")
    assert [Path(i.path).name for i in raised.value.errors] == ["a.yaml", "b.yaml"]


def test_lookups(tmp_path):
    root = tree(tmp_path, {"specs/mailchimp/members.yaml": MEMBERS})
    spec_set = load_specs(root / "specs")
    assert [s.table for s in spec_set.all()] == ["mailchimp_members"]
    assert spec_set.for_resource("mailchimp", "lists") == []
    assert spec_set.for_table("staging.mailchimp_members")[0].resource == "members"
    assert spec_set.get("mailchimp", "members").table == "mailchimp_members"
    with pytest.raises(UnknownSpecError, match="add mappings/specs/mailchimp/lists.yaml"):
        spec_set.get("mailchimp", "lists")

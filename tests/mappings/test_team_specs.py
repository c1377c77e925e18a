"""A team's folder of specs (INTSYNC_SPECS) over the shipped ones: its spec of a table replaces
the shipped spec of that table, shipped tables it does not define stay, and every spec carries
the version (content hash) of the files it was read from."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mappings import SPECS_DIR, SpecValidationError, load_specs
from mappings.teamfolder import ExistingFilesError, init_team_folder, shipped_files
from tests.mappings.test_layering import tree

CHARGES = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
REFUNDS = "provider: stripe\nresource: refunds\ntable: stripe_refunds\nfields:\n  id: id\n"
CORE = "provider: {p}\nresource: {r}\ntable: payments\nfields:\n  id: id\n  status: status\n"


def version_of(*files: Path) -> str:
    return "sha256:" + hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A stand-in for the shipped specs: two staging tables, one core table from two providers,
    one venue override."""
    return tree(
        tmp_path / "shipped",
        {
            "specs/stripe/charges.yaml": CHARGES,
            "specs/stripe/refunds.yaml": REFUNDS,
            "specs/core/payments/stripe_charges.yaml": CORE.format(p="stripe", r="charges"),
            "specs/core/payments/square_payments.yaml": CORE.format(p="square", r="payments"),
            "overrides/venue_1/stripe/charges.yaml": "fields:\n  shipped_extra: metadata.a\n",
        },
    )


def by_table(spec_set) -> dict[str, tuple[str, str]]:
    return {s.name: (s.origin, s.path) for s in spec_set.all()}


def test_a_team_spec_replaces_the_shipped_spec_of_its_table_and_the_rest_stay(shipped, tmp_path):
    team = tree(
        tmp_path / "team",
        {
            # named differently: what it writes decides what it replaces
            "stripe/my_charges.yaml": CHARGES + "  description: description\n",
            "stripe/disputes.yaml": CHARGES.replace("charges", "disputes"),
        },
    )
    spec_set = load_specs(shipped / "specs", team_dir=team)
    found = by_table(spec_set)
    assert found["staging.stripe_charges"] == ("team", str(team / "stripe/my_charges.yaml"))
    assert found["staging.stripe_disputes"][0] == "team"
    assert found["staging.stripe_refunds"] == (
        "shipped",
        str(shipped / "specs/stripe/refunds.yaml"),
    )
    assert len(found) == 5
    (charges,) = [s for s in spec_set.for_resource("stripe", "charges") if s.dataset == "staging"]
    assert [f.name for f in charges.fields] == ["id", "description"]


def test_on_the_real_shipped_specs_only_the_team_tables_are_the_teams(tmp_path):
    team = tree(tmp_path / "team", {"stripe/charges.yaml": CHARGES})
    spec_set = load_specs(team_dir=team)
    origins = {s.name: s.origin for s in spec_set.all()}
    assert origins.pop("staging.stripe_charges") == "team"
    assert set(origins.values()) == {"shipped"}
    assert len(origins) == len(load_specs().all()) - 1


def test_a_core_spec_replaces_only_the_same_provider_resource(shipped, tmp_path):
    stripe = CORE.format(p="stripe", r="charges") + "  receipt_url: receipt_url\n"
    team = tree(tmp_path / "team", {"core/payments/stripe_charges.yaml": stripe})
    spec_set = load_specs(shipped / "specs", team_dir=team)
    core = {s.provider: s for s in spec_set.for_table("core.payments")}
    assert (core["stripe"].origin, core["square"].origin) == ("team", "shipped")
    assert core["stripe"].path == str(team / "core/payments/stripe_charges.yaml")
    assert core["square"].path == str(shipped / "specs/core/payments/square_payments.yaml")
    assert [f.name for f in core["stripe"].fields] == ["id", "status", "receipt_url"]


def test_team_overrides_replace_shipped_ones_and_apply_to_the_team_spec(shipped, tmp_path):
    team = tree(
        tmp_path / "team",
        {
            "stripe/charges.yaml": CHARGES + "  description: description\n",
            "overrides/venue_1/stripe/charges.yaml": "fields:\n  team_extra: metadata.b\n",
            "overrides/venue_2/stripe/refunds.yaml": "fields:\n  note: metadata.note\n",
        },
    )
    spec_set = load_specs(shipped / "specs", team_dir=team)
    (venue_1,) = [
        s for s in spec_set.for_resource("stripe", "charges", "venue_1") if s.dataset == "staging"
    ]
    assert [f.name for f in venue_1.fields] == ["id", "description", "team_extra"]
    assert venue_1.origin == "team"
    (venue_2,) = [
        s for s in spec_set.for_resource("stripe", "refunds", "venue_2") if s.dataset == "staging"
    ]
    assert [f.name for f in venue_2.fields] == ["id", "note"]
    # the overrides folder is not read as specs
    assert not [s for s in spec_set.all() if s.path.startswith(str(team / "overrides"))]


def test_a_team_spec_with_errors_fails_the_load_at_its_own_line(shipped, tmp_path):
    broken = CHARGES + "  currency: {path: currency, transform: uper}\n"
    team = tree(tmp_path / "team", {"stripe/charges.yaml": broken})
    with pytest.raises(SpecValidationError) as raised:
        load_specs(shipped / "specs", team_dir=team)
    assert f"{team}/stripe/charges.yaml:6:41: unknown transform 'uper' (did you mean 'upper'?)" in [
        str(i) for i in raised.value.errors
    ]


def test_a_shipped_spec_the_team_replaces_is_not_checked(shipped, tmp_path):
    (shipped / "specs/stripe/charges.yaml").write_text(
        CHARGES + "  x: {path: x, transform: uper}\n"
    )
    with pytest.raises(SpecValidationError):
        load_specs(shipped / "specs")
    team = tree(tmp_path / "team", {"stripe/charges.yaml": CHARGES})
    assert len(load_specs(shipped / "specs", team_dir=team).all()) == 4


def test_a_missing_team_folder_is_an_issue(shipped, tmp_path):
    with pytest.raises(SpecValidationError) as raised:
        load_specs(shipped / "specs", team_dir=tmp_path / "nowhere")
    assert [str(i) for i in raised.value.errors] == [
        f"{tmp_path / 'nowhere'}:1:1: no such folder of specs"
    ]


def test_the_version_is_a_hash_of_the_files_a_spec_was_read_from(shipped, tmp_path):
    team = tree(
        tmp_path / "team",
        {
            "stripe/charges.yaml": CHARGES,
            "stripe/big_charges.yaml": "extends: charges.yaml\ntable: stripe_big_charges\n",
        },
    )
    spec_set = load_specs(shipped / "specs", team_dir=team)
    charges = spec_set.for_table("staging.stripe_charges")[0]
    big = spec_set.for_table("staging.stripe_big_charges")[0]
    assert charges.version == version_of(team / "stripe/charges.yaml")
    assert big.version == version_of(team / "stripe/charges.yaml", team / "stripe/big_charges.yaml")
    (venue_1,) = [
        s
        for s in spec_set.for_resource("stripe", "charges", "venue_1")
        if s.table == "stripe_charges"
    ]
    override = shipped / "overrides/venue_1/stripe/charges.yaml"
    assert venue_1.version == version_of(team / "stripe/charges.yaml", override)

    (team / "stripe/charges.yaml").write_text(CHARGES + "  status: status\n")
    changed = load_specs(shipped / "specs", team_dir=team).for_table("staging.stripe_charges")[0]
    assert changed.version != charges.version


def test_init_writes_the_shipped_specs_and_overrides_and_refuses_to_overwrite(tmp_path):
    folder = tmp_path / "team"
    written = init_team_folder(folder)
    assert len(written) == len(shipped_files()) and written
    assert (folder / "stripe/charges.yaml").read_bytes() == (
        SPECS_DIR / "stripe/charges.yaml"
    ).read_bytes()
    assert any(p.parts[len(folder.parts)] == "overrides" for p in written)
    # the copy, used as the team folder, is the shipped set with every table the team's
    shipped = {(s.name, s.version) for s in load_specs().all()}
    spec_set = load_specs(team_dir=folder)
    assert {(s.name, s.version) for s in spec_set.all()} == shipped
    assert {s.origin for s in spec_set.all() + spec_set.venue_overrides()} == {"team"}

    (folder / "stripe/charges.yaml").write_text("edited\n")
    with pytest.raises(ExistingFilesError, match="--force"):
        init_team_folder(folder)
    assert (folder / "stripe/charges.yaml").read_text() == "edited\n"
    init_team_folder(folder, force=True)
    assert (folder / "stripe/charges.yaml").read_bytes() == (
        SPECS_DIR / "stripe/charges.yaml"
    ).read_bytes()

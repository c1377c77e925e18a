"""Every spec and venue override intsync ships maps only fields its provider has: checked
against the connectors' field catalogues, as every command and sync checks them."""

from __future__ import annotations

import shutil
from pathlib import Path

from mappings import OVERRIDES_DIR, SPECS_DIR, collect


def test_every_shipped_spec_and_override_validates_against_the_catalogues(known_fields):
    specs, overrides, issues = collect(None, None, known_fields)
    assert [str(issue) for issue in issues] == []
    assert len(specs) == len(list(SPECS_DIR.rglob("*.yaml")))
    assert len(overrides) == len(list(OVERRIDES_DIR.rglob("*.yaml")))


def test_a_shipped_spec_mapping_a_field_the_provider_lacks_fails(tmp_path: Path, known_fields):
    shutil.copytree(SPECS_DIR, tmp_path / "specs")
    shutil.copytree(OVERRIDES_DIR, tmp_path / "overrides")
    charges = tmp_path / "specs" / "stripe" / "charges.yaml"
    charges.write_text(charges.read_text().replace("receipt_email]", "receipt_emial]", 1))
    override = next((tmp_path / "overrides").rglob("members.yaml"))
    override.write_text(override.read_text() + "  nickname: merge_fields_x.NICK\n")
    _, _, issues = collect(tmp_path / "specs", None, known_fields)
    assert sorted((Path(i.path).name, i.line, i.message) for i in issues) == [
        ("charges.yaml", 19, "'receipt_emial' is not a field of stripe charges "
         "(did you mean 'receipt_email'?)"),
        ("members.yaml", 5, "'merge_fields_x' is not a field of mailchimp members "
         "(did you mean 'merge_fields'?)"),
    ]  # fmt: skip

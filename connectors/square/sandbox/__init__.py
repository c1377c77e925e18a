"""A stateful local Square API (`intsync sandbox square`): `app` serves it, `state` holds a
merchant's objects, `seed` builds them deterministically, `api` answers lists and searches."""

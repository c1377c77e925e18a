"""A stateful local Stripe API (`intsync sandbox stripe`): `app` serves it, `state` holds an
account's objects and events, `seed` builds them deterministically."""

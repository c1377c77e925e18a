"""A stateful local QuickBooks Online (`intsync sandbox quickbooks`): `app` serves it, `state`
holds a company's entities, `seed` builds them deterministically, `query` parses its queries."""

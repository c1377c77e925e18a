"""A stateful local Mailchimp Marketing API (`intsync sandbox mailchimp`): `app` serves it,
`state` holds an account's objects, `seed` builds them deterministically, `api` routes reads."""

"""Prefect flows and tasks that run the pipelines: thin, one flow per kind of work.

Deployments (prefect.yaml): `sync-integration/sync-integration`, `sync-batch/sync-batch`,
`sync-due/sync-due`, `apply-webhook-events/apply-webhook-events`, `backfill/backfill`,
`clean-up/clean-up`.
"""

"""Machinery every connector shares: rate budgets, retries, the page loop, HTTP errors, webhooks."""

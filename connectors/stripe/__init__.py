"""Stripe: connector (client), webhooks, and the local sandbox."""

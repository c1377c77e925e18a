"""QuickBooks Online: connector (`client`: query newest first, CDC deletions, per-realm budget;
`auth` and `tokens`: rotating refresh tokens saved before use), webhooks, and the local sandbox."""

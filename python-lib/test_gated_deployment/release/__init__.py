"""Changing what a deployment runs: an update with a deadline and a health check, gated promotion, rollback, and
the Automate Deployment pipeline that chains them as scenario steps."""

"""Webhooks (issue 16): signed event deliveries to an organization's own URLs."""

"""Requests: filing, the event ledger, lists and the request page."""

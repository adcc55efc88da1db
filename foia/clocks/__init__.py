"""Clocks: the stored cache of each request's statutory deadlines, computed from its ledger by foia.deadlines; closures; the deadline CLI."""

"""The shared leaf: errors, audit, access rules, time, text and file helpers.

Nothing in ``foia.core`` imports a feature package; every feature may import it.
"""

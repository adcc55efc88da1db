"""The one error a person's bad input raises, whatever the feature."""

from __future__ import annotations

from collections.abc import Mapping


class ValidationError(ValueError):
    """Bad input from a person. `errors` maps a field name to a plain-language message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

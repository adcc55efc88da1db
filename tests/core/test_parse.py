"""parse_usd: one rule for every amount people type (fee ceilings, estimates, payments)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from foia.core.parse import parse_usd


@pytest.mark.parametrize(("typed", "amount"), [
    ("250", "250.00"), ("$1,234.5", "1234.50"), (" 0 ", "0.00"), ("99999999.99", "99999999.99"), (12, "12.00"),
    ("10.005", "10.00"),  # banker's rounding of the half cent, as Decimal.quantize does
])
def test_amounts(typed, amount) -> None:
    assert parse_usd(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["", "abc", "-1", "NaN", "Infinity", "-Infinity", "100000000", "1e9", "$-5"])
def test_refused(typed) -> None:
    with pytest.raises(ValueError):
        parse_usd(typed)

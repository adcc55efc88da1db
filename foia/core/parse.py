"""Parsing what people type, shared by every form, the CLI and imports."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: The largest amount of money accepted anywhere (fees, ceilings, payments): $99,999,999.99.
MAX_USD = Decimal("100000000")


def parse_usd(value: object) -> Decimal:
    """"$1,234.5" -> Decimal("1234.50"). Raises ValueError for anything that is not an amount of
    dollars from 0 up to (not including) `MAX_USD` (negative, NaN, infinite, junk)."""
    try:
        amount = Decimal(str(value).replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount in dollars") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_USD:
        raise ValueError(f"{value!r} is not an amount between $0 and ${MAX_USD - Decimal('0.01'):,}")
    return amount.quantize(Decimal("0.01"))

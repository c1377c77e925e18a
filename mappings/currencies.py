"""How many decimal places a currency's minor unit has, as payment APIs count them."""

from __future__ import annotations

# Zero-decimal currencies: amount 500 JPY is 500 yen (Stripe's list, which follows ISO 4217).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
# Three-decimal currencies: amount 1990 KWD is 1.990 dinar.
THREE_DECIMAL = frozenset(["bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"])
# Everything else, ISK included (Stripe keeps ISK two-decimal in its API), has two.
DEFAULT_EXPONENT = 2


def exponent(currency: str, overrides: dict[str, int] | None = None) -> int:
    """Decimal places of `currency` (any case); `overrides` (lower-case codes) win."""
    code = currency.lower()
    if overrides and code in overrides:
        return overrides[code]
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return DEFAULT_EXPONENT

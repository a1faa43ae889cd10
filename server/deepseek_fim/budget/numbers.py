"""How the budget writes numbers: exact decimals, amounts for reading, short counts and money."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal


def decimal_text(value: Decimal) -> str:
    """Return an exact decimal as plain text, without exponent or trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def money(value: Decimal, places: int = 4) -> str:
    """Return an amount rounded for display (4 places; more if it would show as zero)."""
    if value == 0:
        return "0"
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    while rounded == 0 and places < 12:
        places += 2
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return format(rounded, "f")


def compact(n: int) -> str:
    """Return a count in at most three significant digits: 999, 1.23k, 12k, 950k, 4.62M, 1.2B."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1000:
        return f"{sign}{n}"
    units = ((3, "k"), (6, "M"), (9, "B"))
    index = max(i for i, (power, _) in enumerate(units) if n >= 10**power)
    while True:
        power, suffix = units[index]
        digits = 3 - len(str(n // 10**power))
        quantum = Decimal(1).scaleb(-max(digits, 0))
        value = (Decimal(n) / Decimal(10**power)).quantize(quantum, rounding=ROUND_HALF_UP)
        if value < 1000 or index == len(units) - 1:
            break
        index += 1  # 999,999 rounds to 1000k: show it as 1M
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{suffix}"


def amount_text(value: Decimal, places: int = 4) -> str:
    """Return an amount for reading: at most `places` decimals, at least two (8.37, 0.0272).

    Amounts that would round to zero keep a significant digit (0.0000017 -> 0.000002).
    """
    text = money(value, places)
    if "." in text:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(2, "0")
        text = f"{whole}.{fraction}"
    elif value != 0:
        text += ".00"
    return text


_SYMBOLS: Mapping[str, str] = {"USD": "$", "CNY": "¥"}


def short_money(value: Decimal, currency: str) -> str:
    """Return an amount in at most five characters with its symbol: $8.37, $10.5, $105, $1.2k."""
    symbol = _SYMBOLS.get(currency)
    if value >= 1000:
        number = compact2(int(value))
    elif value >= 10:
        quantum = Decimal("0.1") if value < 100 else Decimal(1)
        number = format(value.quantize(quantum, rounding=ROUND_HALF_EVEN), "f")
    elif 0 < value < Decimal("0.005"):
        number = "0.00"
    else:
        number = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), "f")
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def compact2(n: int) -> str:
    """Return a count in two significant digits: 999, 1.2k, 67M, 120M, 1.2B (for short texts)."""
    if n < 1000:
        return str(max(n, 0))
    digits = len(str(n))
    rounded = int(Decimal(n).scaleb(2 - digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return compact(rounded * 10 ** (digits - 2))

"""The price table checked against DeepSeek's balance: what a day of use really cost.

The prices of the newest models are third-party reports, so the table can be wrong. Between two
balance answers at least a day apart, the granted balance fell by what DeepSeek charged; the ledger
priced the same requests at the table. When the two differ by more than `TOLERANCE`, the table is
reported with the measured effective price per kind: each kind's table cost scaled by
measured/ledger (one balance delta cannot tell the three kinds apart, so their ratio is the
table's, at the rows that applied to each request, peak hours included).

The deltas are compared only when one of them is at least `MIN_RESOLUTIONS` times the balance's
resolution (DeepSeek reports two decimals: 0.10 USD), so the rounding of the reported balance
cannot make a 10% difference on its own. Only the granted balance is compared, and only while it
is above zero (granted money is spent first; after it, spending comes from the topped-up part).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from deepseek_fim.budget.ledger import BalanceCheck, UsageRow
from deepseek_fim.budget.prices import MILLION, PriceTable

TOLERANCE = Decimal("0.10")
MIN_RESOLUTIONS = 10
MIN_SPAN = timedelta(days=1)

Kind = str  # "hit", "miss" or "output"


@dataclass(frozen=True)
class PriceCheck:
    """The balance's delta against the ledger's cost of the same period."""

    start: datetime
    end: datetime
    currency: str
    measured: Decimal  # what the granted balance fell by
    ledger: Decimal  # what the ledger priced the same period at
    tokens: Mapping[Kind, int]
    effective: Mapping[Kind, Decimal] | None  # measured price per 1M tokens, per kind

    @property
    def ratio(self) -> Decimal | None:
        """Measured / ledger; None when the ledger recorded no cost."""
        return self.measured / self.ledger if self.ledger > 0 else None

    @property
    def disagrees(self) -> bool:
        """True when the table is off by more than the tolerance."""
        ratio = self.ratio
        return ratio is None or abs(ratio - 1) > TOLERANCE


def _resolution(check: BalanceCheck) -> Decimal:
    exponent = check.granted.as_tuple().exponent
    return Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal("0.01")


def pick_pair(checks: Sequence[BalanceCheck]) -> tuple[BalanceCheck, BalanceCheck] | None:
    """Return (earlier, latest): the latest answer and the newest one a day or more before it."""
    if len(checks) < 2:
        return None
    latest = checks[-1]
    if latest.granted <= 0:
        return None
    earlier = [c for c in checks[:-1] if latest.at - c.at >= MIN_SPAN]
    return (earlier[-1], latest) if earlier else None


def check_prices(
    checks: Sequence[BalanceCheck], rows: Sequence[UsageRow], prices: PriceTable
) -> PriceCheck | None:
    """Compare the pair of `checks` picked by `pick_pair` with the ledger `rows` between them.

    `rows` must cover at least the pair's period; rows outside it are ignored. None when there
    is no such pair, or when the spending is too small to measure against the balance's rounding.
    """
    pair = pick_pair(checks)
    if pair is None:
        return None
    earlier, latest = pair
    currency = latest.currency
    measured = earlier.granted - latest.granted
    tokens = {"hit": 0, "miss": 0, "output": 0}
    table = {"hit": Decimal(0), "miss": Decimal(0), "output": Decimal(0)}
    ledger = Decimal(0)
    for row in rows:
        if not (earlier.at <= row.at < latest.at) or row.currency != currency:
            continue
        ledger += row.cost
        price = prices.row(row.model, row.at)
        for kind, count, per_million in (
            ("hit", row.hit, price.hit),
            ("miss", row.miss, price.miss),
            ("output", row.output, price.output),
        ):
            tokens[kind] += count
            table[kind] += count * per_million / MILLION
    floor = MIN_RESOLUTIONS * max(_resolution(earlier), _resolution(latest))
    if measured < 0 or max(measured, ledger) < floor:
        return None
    effective = None
    table_total = sum(table.values(), Decimal(0))
    if table_total > 0:
        scale = measured / table_total
        effective = {
            kind: table[kind] * scale / tokens[kind] * MILLION
            for kind in ("hit", "miss", "output")
            if tokens[kind] > 0
        }
    return PriceCheck(earlier.at, latest.at, currency, measured, ledger, tokens, effective)

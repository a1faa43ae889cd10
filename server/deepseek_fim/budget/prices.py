"""Prices per model (per 1M tokens, exact Decimal) and the cost of one response.

Defaults come from DeepSeek's published prices (see `shared/deepseek-api.md`); every row can
be overridden from the `prices` setting: `{"<model>": {"hit", "miss", "output", "currency"}}`,
numbers or decimal strings per 1M tokens. Keys left out of an override keep the default row's
value. An override replaces the row at all hours (it has no peak surcharge). The override key
`"default"` replaces `FALLBACK_ROW`, the row used for a model the table does not know.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from deepseek_fim.budget.clock import as_utc

logger = logging.getLogger(__name__)

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class PriceRow:
    """Prices per 1M tokens: cache-hit input, cache-miss input, output; and their currency."""

    hit: Decimal
    miss: Decimal
    output: Decimal
    currency: str = "USD"

    def cost(self, hit: int, miss: int, output: int) -> Decimal:
        """Return the exact cost of these token counts (cache hits are charged once, at `hit`)."""
        return (hit * self.hit + miss * self.miss + output * self.output) / MILLION


@dataclass(frozen=True)
class ModelPrices:
    """A model's row, with an optional peak row that applies at `peak_hours` (UTC) on weekdays."""

    row: PriceRow
    peak: PriceRow | None = None
    peak_hours: tuple[tuple[int, int], ...] = ()  # [start, end) hours, UTC, Monday to Friday

    def row_at(self, at: datetime) -> PriceRow:
        """Return the row that applies at `at`."""
        if self.peak is None:
            return self.row
        moment = as_utc(at)
        if moment.weekday() < 5 and any(a <= moment.hour < b for a, b in self.peak_hours):
            return self.peak
        return self.row


def _row(hit: str, miss: str, output: str, currency: str = "USD") -> PriceRow:
    return PriceRow(Decimal(hit), Decimal(miss), Decimal(output), currency)


_FLASH_OFF_PEAK = _row("0.003", "0.15", "0.60")

DEFAULT_PRICES: Mapping[str, ModelPrices] = {
    # DeepSeek-V3.2 era (2025-09-29 to 2026-04-24); after that the name was an alias of V4-Flash.
    "deepseek-chat": ModelPrices(_row("0.028", "0.28", "0.42")),
    # V4-Flash, with the cache-hit price cut of 2026-04-26.
    "deepseek-v4-flash": ModelPrices(_row("0.0028", "0.14", "0.28")),
    # V4.1 flash: off-peak row; twice that at 01-04 and 06-10 UTC, Monday to Friday.
    "deepseek-flash": ModelPrices(
        _FLASH_OFF_PEAK,
        peak=_row("0.006", "0.30", "1.20"),
        peak_hours=((1, 4), (6, 10)),
    ),
}

FALLBACK_ROW = _row("0.028", "0.28", "0.42")
"""Row for an unknown model: the V3.2 `deepseek-chat` prices, the dearest known off-peak input
price, so that an unknown model's cost is not understated."""


def _price(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a number or a decimal string")
    # str() first: a float like 0.14 becomes Decimal('0.14'), not its binary expansion.
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("must be a number or a decimal string") from exc
    if not result.is_finite() or result < 0:
        raise ValueError("must be a finite number >= 0")
    return result


def _apply_override(base: PriceRow, raw: Mapping[str, Any]) -> PriceRow:
    row = PriceRow(
        hit=_price(raw["hit"]) if "hit" in raw else base.hit,
        miss=_price(raw["miss"]) if "miss" in raw else base.miss,
        output=_price(raw["output"]) if "output" in raw else base.output,
        currency=base.currency,
    )
    if "currency" in raw:
        currency = raw["currency"]
        if not isinstance(currency, str) or not currency.strip():
            raise ValueError("currency must be a non-empty string")
        row = replace(row, currency=currency.strip().upper())
    return row


class PriceTable:
    """The defaults with the user's overrides; `problems` lists overrides that were ignored."""

    def __init__(self, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._models: dict[str, ModelPrices] = dict(DEFAULT_PRICES)
        self._fallback = FALLBACK_ROW
        self.problems: list[str] = []
        for model, raw in (overrides or {}).items():
            if not isinstance(raw, Mapping):
                self.problems.append(f"prices.{model}: must be an object")
                continue
            try:
                if model == "default":
                    self._fallback = _apply_override(self._fallback, raw)
                else:
                    known = self._models.get(model)
                    base = known.row if known is not None else self._fallback
                    self._models[model] = ModelPrices(_apply_override(base, raw))
            except ValueError as exc:
                self.problems.append(f"prices.{model}: {exc}")
        for problem in self.problems:
            logger.warning("ignoring price override: %s", problem)

    def row(self, model: str, at: datetime) -> PriceRow:
        """Return the row for `model` at time `at` (the fallback row for an unknown model)."""
        prices = self._models.get(model)
        return prices.row_at(at) if prices is not None else self._fallback

    def cost(self, model: str, at: datetime, hit: int, miss: int, output: int) -> Decimal:
        """Return the exact cost: (hit x P_hit + miss x P_miss + out x P_out) / 1e6."""
        return self.row(model, at).cost(hit, miss, output)

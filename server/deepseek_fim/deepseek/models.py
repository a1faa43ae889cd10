"""Data types of the DeepSeek client and their parsing from API JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    return 0


def _decimal(value: Any) -> Decimal:
    # Amounts are decimal strings; going through float would lose exactness.
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(0)
    return result if result.is_finite() else Decimal(0)


@dataclass(frozen=True)
class Usage:
    """Billed tokens of one request: prompt cache hits, cache misses and output."""

    hit: int
    miss: int
    output: int

    @property
    def prompt(self) -> int:
        return self.hit + self.miss

    @classmethod
    def from_api(cls, data: Any) -> Usage | None:
        """Parse a `usage` object; None if it is not an object."""
        if not isinstance(data, Mapping):
            return None
        prompt = _int(data.get("prompt_tokens"))
        hit = _int(data.get("prompt_cache_hit_tokens"))
        if "prompt_cache_miss_tokens" in data:
            miss = _int(data.get("prompt_cache_miss_tokens"))
        else:
            # Without the cache split, bill everything not hit as a miss (the expensive reading).
            miss = max(prompt - hit, 0)
        return cls(hit=hit, miss=miss, output=_int(data.get("completion_tokens")))


@dataclass(frozen=True)
class FimRequest:
    """One Fill-in-the-Middle request."""

    model: str
    prompt: str
    suffix: str
    max_tokens: int
    temperature: float
    stop: tuple[str, ...]

    def to_json(self, *, stream: bool) -> dict[str, Any]:
        """Return the request body."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt,
            "suffix": self.suffix,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": list(self.stop),
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass(frozen=True)
class FimResult:
    """The outcome of one FIM request."""

    text: str
    finish_reason: str | None
    usage: Usage | None
    model: str
    truncated: bool = False

    @property
    def complete(self) -> bool:
        """True if the stream ended normally and the model finished (stop or length)."""
        return not self.truncated and self.finish_reason in ("stop", "length")


@dataclass(frozen=True)
class BalanceInfo:
    """The balance in one currency."""

    currency: str
    total: Decimal
    granted: Decimal
    topped_up: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BalanceInfo:
        """Parse one entry of `balance_infos`."""
        return cls(
            currency=str(data.get("currency") or ""),
            total=_decimal(data.get("total_balance")),
            granted=_decimal(data.get("granted_balance")),
            topped_up=_decimal(data.get("topped_up_balance")),
        )


@dataclass(frozen=True)
class Balance:
    """`GET /user/balance`: whether the account can make calls, and its balances."""

    is_available: bool
    infos: tuple[BalanceInfo, ...]

    @classmethod
    def from_api(cls, data: Any) -> Balance:
        """Parse the balance body; raise ValueError if it is not a JSON object."""
        if not isinstance(data, Mapping):
            raise ValueError("balance response is not a JSON object")
        raw_infos = data.get("balance_infos")
        infos = tuple(
            BalanceInfo.from_api(info)
            for info in (raw_infos if isinstance(raw_infos, list) else [])
            if isinstance(info, Mapping)
        )
        return cls(is_available=data.get("is_available") is True, infos=infos)

"""Pacing: when the money forecast says the grant runs out before it expires, spend less.

A pure policy from the grant status (its forecast) to the knobs the completion service reads:

- `factor`: how many times faster than it can last the money goes, i.e. burn rate over the
  sustainable rate (remaining money / days to expiry), rounded *up* to a step of `STEPS` and
  capped at the last one. 1 means no pacing. Only a `runsOut` forecast paces: too little
  history, no recent use, an exhausted or expired grant, and a grant that lasts never do.
- the knobs, proportional to the factor and bounded: the delay before a request in the middle
  of a word (where the user is most likely to type on, so a request there is the most
  speculative) grows by `MID_WORD_STEP_MS` per unit of factor beyond 1; the prefix and suffix
  windows shrink by the factor down to a floor (the suffix more: it follows the cursor in the
  prompt, so it is a cache miss on every request, while most of the prefix window is a cheap
  hit); the context from other files at the prompt's head shrinks the same way (hits are billed
  on every request); `prefetch` (requests nobody asked for yet, such as a prefetch after an
  accept) is off.

Steps, not a continuous factor: a window budget that moved with every recorded request would move
the prefix window's first line and so break DeepSeek's prefix cache, which costs more than it
saves. The factor changes only when the forecast crosses a step.

The forecast follows a 7-day burn window, so pacing lifts by itself as the paced days replace
the heavy ones and the forecast lasts again; the path header is left alone. A step changes the
context block once (one cache miss), then it is byte-identical again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deepseek_fim.budget.grant import GrantStatus
from deepseek_fim.budget.numbers import amount_text
from deepseek_fim.settings import PaceMode, Settings

STEPS = (1.25, 1.5, 2.0, 3.0, 4.0)
"""Pace factors in use; the forecast's overspend is rounded up to one of them, capped at 4."""
MID_WORD_STEP_MS = 250
"""Extra delay mid-word per unit of factor beyond 1 (factor 2: +250 ms, factor 4: +750 ms)."""
PREFIX_FLOOR = 0.5
SUFFIX_FLOOR = 0.25
# The context from other files is all cache hits after its first request, but hits are billed
# on every request: it shrinks with the factor like the suffix.
CONTEXT_FLOOR = 0.25
"""The windows never shrink below these shares of their settings."""


@dataclass(frozen=True)
class PaceBase:
    """The settings pacing scales: the debounce and the window budgets, as the user set them."""

    # The settings' own defaults (one place to change them).
    debounce_ms: int = Settings.debounce_ms
    prefix_tokens: int = Settings.prefix_tokens
    suffix_tokens: int = Settings.suffix_tokens
    context_tokens: int = Settings.context_tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> PaceBase:
        """The knobs as the settings set them."""
        return cls(
            settings.debounce_ms,
            settings.prefix_tokens,
            settings.suffix_tokens,
            settings.context_tokens,
        )


@dataclass(frozen=True)
class Pace:
    """What pacing does now: the factor, why, and the knobs in force."""

    mode: PaceMode
    factor: float  # 1.0: not pacing
    reason: str  # why it paces, or why not
    base: PaceBase
    mid_word_extra_ms: int  # added to the delay before a request in the middle of a word
    prefix_tokens: int
    suffix_tokens: int
    context_tokens: int
    prefetch: bool  # speculative requests (prefetch after an accept) allowed

    @property
    def active(self) -> bool:
        """True while the server spends less than the settings allow."""
        return self.factor > 1

    @property
    def mid_word_debounce_ms(self) -> int:
        """The delay mid-word at the debounce setting."""
        return self.base.debounce_ms + self.mid_word_extra_ms

    def debounce_ms(self, base_ms: int, *, mid_word: bool) -> int:
        """The delay before a request whose own delay would be `base_ms`."""
        return base_ms + self.mid_word_extra_ms if mid_word else base_ms

    def to_json(self) -> dict[str, Any]:
        """The payload's `pace` object."""
        return {
            "mode": self.mode,
            "active": self.active,
            "factor": self.factor,
            "reason": self.reason,
            "midWordDebounceMs": self.mid_word_debounce_ms,
            "prefixTokens": self.prefix_tokens,
            "suffixTokens": self.suffix_tokens,
            "contextTokens": self.context_tokens,
            "prefetch": self.prefetch,
            "settings": {
                "debounceMs": self.base.debounce_ms,
                "prefixTokens": self.base.prefix_tokens,
                "suffixTokens": self.base.suffix_tokens,
                "contextTokens": self.base.context_tokens,
            },
        }


def overspend(grant: GrantStatus) -> float | None:
    """Burn rate over the rate at which the money lasts until expiry; None without a forecast.

    Above 1 exactly when the forecast is `runsOut`.
    """
    if grant.forecast.kind != "runsOut" or grant.burn_rate_per_day is None:
        return None
    days_to_expiry = (grant.expires_on - grant.today).days
    if grant.remaining <= 0 or days_to_expiry <= 0:
        return None
    return float(grant.burn_rate_per_day * days_to_expiry / grant.remaining)


def step_for(ratio: float) -> float:
    """The pace factor for an overspend ratio: 1 if it lasts, else the step at or above it."""
    if ratio <= 1:
        return 1.0
    return next((step for step in STEPS if ratio <= step), STEPS[-1])


def _not_pacing(mode: PaceMode, base: PaceBase, reason: str) -> Pace:
    return Pace(
        mode=mode,
        factor=1.0,
        reason=reason,
        base=base,
        mid_word_extra_ms=0,
        prefix_tokens=base.prefix_tokens,
        suffix_tokens=base.suffix_tokens,
        context_tokens=base.context_tokens,
        prefetch=True,
    )


def _why_not(grant: GrantStatus) -> str:
    return {
        "lastsUntilExpiry": "the money lasts until the grant expires",
        "noUse": "no use yet",
        "tooLittleHistory": "too little use yet to forecast",
        "noRecentUse": "no recent use",
        "exhausted": "the grant is used up",
        "expired": "the grant has expired",
        "runsOut": "the money runs out before expiry",
    }[grant.forecast.kind]


def pace_for(grant: GrantStatus | None, mode: PaceMode, base: PaceBase) -> Pace:
    """Return what pacing does for this grant status (pure)."""
    if mode == "off":
        return _not_pacing(mode, base, "pacing is off (setting pace)")
    if grant is None:
        return _not_pacing(mode, base, "no grant figures yet")
    ratio = overspend(grant)
    if ratio is None or ratio <= 1:
        return _not_pacing(mode, base, _why_not(grant))
    factor = step_for(ratio)
    early = (grant.expires_on - grant.run_out_on).days if grant.run_out_on else 0
    rate = amount_text(grant.burn_rate_per_day or Decimal(0))
    reason = (
        f"at {rate} {grant.currency}/day the money runs out"
        + (f" {grant.run_out_on.isoformat()}," if grant.run_out_on else "")
        + f" {early} days before the grant expires on {grant.expires_on.isoformat()}"
    )
    return Pace(
        mode=mode,
        factor=factor,
        reason=reason,
        base=base,
        mid_word_extra_ms=round(MID_WORD_STEP_MS * (factor - 1)),
        prefix_tokens=_shrink(base.prefix_tokens, factor, PREFIX_FLOOR),
        suffix_tokens=_shrink(base.suffix_tokens, factor, SUFFIX_FLOOR),
        context_tokens=_shrink(base.context_tokens, factor, CONTEXT_FLOOR),
        prefetch=False,
    )


def _shrink(tokens: int, factor: float, floor: float) -> int:
    return max(math.ceil(tokens / factor), math.ceil(tokens * floor))


def factor_text(factor: float) -> str:
    """`x2`, `x1.5`, `x1.25`."""
    return f"x{factor:g}"


def pace_row(pace: Pace) -> str:
    """One phrase for the tooltip and the report: whether the server paces, why, and how."""
    if pace.mode == "off":
        return pace.reason
    if not pace.active:
        return f"not needed: {pace.reason}"
    base = pace.base
    return (
        f"spending less ({factor_text(pace.factor)}): {pace.reason}. Mid-word delay "
        f"{pace.mid_word_debounce_ms} ms (setting {base.debounce_ms}), windows "
        f"{pace.prefix_tokens}/{pace.suffix_tokens} tokens (settings "
        f"{base.prefix_tokens}/{base.suffix_tokens}), context from other files "
        f"{pace.context_tokens} tokens (setting {base.context_tokens}); lifted once the "
        "forecast lasts until expiry (setting pace: off to disable)"
    )

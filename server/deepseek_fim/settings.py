"""Typed settings and where they come from.

Precedence, lowest first: defaults < environment (key, base URL, data dir only) <
initializationOptions < workspace/configuration. Settings arrive as camelCase JSON under the
`deepseekFim` section; an invalid field is reported once and replaced by its default, so the
server always runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

import platformdirs

from deepseek_fim.privacy import DEFAULT_EXCLUDE

DEFAULT_BASE_URL = "https://api.deepseek.com"
SECTION = "deepseekFim"


PaceMode = Literal["auto", "off"]
PACE_MODES: tuple[PaceMode, ...] = ("auto", "off")
"""`auto`: spend less when the money forecast says the grant runs out early; `off`: never."""

ADVERTISED_GRANT_TOKENS = 5_000_000
ADVERTISED_GRANT_AMOUNT = Decimal("8.40")
"""DeepSeek's free grant as advertised: about 5M tokens, about USD 8.40."""


@dataclass(frozen=True)
class GrantSettings:
    """The free grant: a balance in money, its advertised size in tokens, start date, validity.

    `amount` None means "derived from `tokens`": the advertised USD 8.40 per 5M tokens, so the
    default is USD 8.40 and an old tokens-only setting (`grant.tokens: 10000000`) keeps its
    meaning as a grant twice the default (USD 16.80). A set `amount` is the truth and `tokens`
    is only the advertised size shown beside it.
    """

    tokens: int = ADVERTISED_GRANT_TOKENS
    start_date: date | None = None
    days: int = 30
    amount: Decimal | None = None
    currency: str = "USD"

    @property
    def money(self) -> Decimal:
        """The grant's balance in `currency`: `amount`, else `tokens` at the advertised rate."""
        if self.amount is not None:
            return self.amount
        # Exact: dividing by 5,000,000 terminates in decimal.
        return ADVERTISED_GRANT_AMOUNT * self.tokens / ADVERTISED_GRANT_TOKENS

    @property
    def amount_source(self) -> str:
        """`setting` (amount set), `tokens` (derived from a changed grant.tokens) or `default`."""
        if self.amount is not None:
            return "setting"
        return "default" if self.tokens == ADVERTISED_GRANT_TOKENS else "tokens"


@dataclass(frozen=True)
class Settings:
    """Every setting of the server, each with a default."""

    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    data_dir: str = field(default_factory=lambda: platformdirs.user_data_dir("deepseek-fim"))
    model: str = "auto"
    enabled: bool = True
    disabled_languages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    debounce_ms: int = 250
    # What the editor waits after a key before it asks (VS Code: 50 ms), off the server's wait.
    editor_delay_ms: int = 0
    prefix_tokens: int = 512  # = context.DEFAULT_PREFIX_TOKENS (a unit test holds them equal)
    suffix_tokens: int = 256
    # Definitions from other files at the prompt's head (bench/bench_cross_file.py: 800 finds
    # most of what a line needs; the block is a cache hit while those files do not change).
    context_tokens: int = 800
    # Outlines (signature lines only) of imported workspace files that are not open.
    context_from_disk: bool = True
    max_tokens_line: int = 48
    max_tokens_block: int = 192
    temperature: float = 0.0
    request_timeout_ms: int = 10_000
    grant: GrantSettings = field(default_factory=GrantSettings)
    prices: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    budget_diagnostic: bool = False
    pace: PaceMode = "auto"
    # Ask for the next suggestion right after an accept. Off: editors ask at once after an
    # accept anyway (bench_editor_pauses: no sooner ghost text, 18% more tokens per hour).
    prefetch: bool = False

    def __repr__(self) -> str:
        """Show the settings without the API key."""

        def shown_value(name: str) -> str:
            if name == "api_key" and self.api_key:
                return "<set>"
            return repr(getattr(self, name))

        shown = ", ".join(f"{f.name}={shown_value(f.name)}" for f in fields(self))
        return f"Settings({shown})"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _check_int(value: Any, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    if value != int(value) or not minimum <= value <= maximum:
        raise ValueError(f"must be a whole number from {minimum} to {maximum}")
    return int(value)


def _check_str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _check_optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip()


def _check_str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _check_temperature(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise ValueError("must be a number from 0 to 2")
    return float(value)


def _check_pace(value: Any) -> PaceMode:
    if value not in PACE_MODES:
        raise ValueError("must be auto or off")
    return cast(PaceMode, value)


def _check_prices(value: Any) -> Mapping[str, Mapping[str, Any]]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in value.items()
    ):
        raise ValueError('must map model names to {"hit", "miss", "output", "currency"}')
    return dict(value)


_VALIDATORS: dict[str, Any] = {
    "api_key": _check_optional_str,
    "base_url": _check_str,
    "data_dir": _check_str,
    "model": _check_str,
    "enabled": _check_bool,
    "disabled_languages": _check_str_list,
    "exclude": _check_str_list,
    "debounce_ms": lambda v: _check_int(v, 0, 10_000),
    "editor_delay_ms": lambda v: _check_int(v, 0, 1_000),
    "prefix_tokens": lambda v: _check_int(v, 16, 16_000),
    "context_tokens": lambda v: _check_int(v, 0, 8_000),
    "context_from_disk": _check_bool,
    "suffix_tokens": lambda v: _check_int(v, 0, 8_000),
    "max_tokens_line": lambda v: _check_int(v, 1, 4096),
    "max_tokens_block": lambda v: _check_int(v, 1, 4096),
    "temperature": _check_temperature,
    "request_timeout_ms": lambda v: _check_int(v, 100, 600_000),
    "prices": _check_prices,
    "budget_diagnostic": _check_bool,
    "pace": _check_pace,
    "prefetch": _check_bool,
}


def _check_amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be an amount like 8.40")
    try:
        # str() first: a float like 8.4 becomes Decimal('8.4'), not its binary expansion.
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("must be an amount like 8.40") from exc
    if not amount.is_finite() or not 0 < amount <= 10**9:
        raise ValueError("must be an amount above 0 and at most 1000000000")
    return amount


def _check_currency(value: Any) -> str:
    if not isinstance(value, str) or not value.strip().isalpha() or len(value.strip()) != 3:
        raise ValueError("must be a currency code like USD or CNY")
    return value.strip().upper()


def _parse_grant(value: Any, current: GrantSettings, problems: list[str]) -> GrantSettings:
    if not isinstance(value, dict):
        problems.append("grant: must be an object")
        return current
    grant = current
    if "amount" in value:
        try:
            amount = _check_amount(value["amount"])
            if amount is not None:
                grant = replace(grant, amount=amount)
        except ValueError as exc:
            problems.append(f"grant.amount: {exc}")
    if value.get("currency") not in (None, ""):
        try:
            grant = replace(grant, currency=_check_currency(value["currency"]))
        except ValueError as exc:
            problems.append(f"grant.currency: {exc}")
    if "tokens" in value:
        try:
            grant = replace(grant, tokens=_check_int(value["tokens"], 1, 10**12))
        except ValueError as exc:
            problems.append(f"grant.tokens: {exc}")
    if "days" in value:
        try:
            grant = replace(grant, days=_check_int(value["days"], 1, 3650))
        except ValueError as exc:
            problems.append(f"grant.days: {exc}")
    if "startDate" in value:
        raw = value["startDate"]
        if raw in (None, ""):
            grant = replace(grant, start_date=None)
        else:
            try:
                grant = replace(grant, start_date=date.fromisoformat(str(raw)))
            except ValueError:
                problems.append("grant.startDate: must be a date like 2026-11-20")
    if grant.amount is None and grant.currency != "USD":
        # The advertised rate is in USD: a grant in another currency needs its amount.
        problems.append(f"grant.amount: required with grant.currency {grant.currency}; using USD")
        grant = replace(grant, currency="USD")
    return grant


def merge(base: Settings, raw: Any) -> tuple[Settings, list[str]]:
    """Apply a camelCase settings object onto base; return the result and the problems found.

    Accepts either the section itself or an object holding it under `deepseekFim`. Unknown keys are
    ignored (clients may send their own settings), invalid values keep the value from base.
    """
    problems: list[str] = []
    if raw is None:
        return base, problems
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    if not isinstance(raw, dict):
        return base, [f"{SECTION}: settings must be an object"]
    changes: dict[str, Any] = {}
    for name, check in _VALIDATORS.items():
        key = _camel(name)
        if key not in raw:
            continue
        value = raw[key]
        if value is None and name not in ("api_key",):
            continue
        try:
            changes[name] = check(value)
        except ValueError as exc:
            # Never echo the value itself: it could be the key.
            problems.append(f"{key}: {exc}")
    result = replace(base, **changes)
    if "grant" in raw and raw["grant"] is not None:
        result = replace(result, grant=_parse_grant(raw["grant"], result.grant, problems))
    return result, problems


def from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """Defaults with the key, base URL and data dir taken from the environment where set."""
    env = os.environ if env is None else env
    settings = Settings()
    if key := env.get("DEEPSEEK_API_KEY", "").strip():
        settings = replace(settings, api_key=key)
    if base := env.get("DEEPSEEK_BASE_URL", "").strip():
        settings = replace(settings, base_url=base)
    if data_dir := env.get("DEEPSEEK_FIM_DATA_DIR", "").strip():
        settings = replace(settings, data_dir=data_dir)
    return settings


def resolve(
    initialization_options: Any = None,
    workspace_configuration: Any = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Settings, list[str]]:
    """Combine every source in precedence order; return the settings and all problems found."""
    settings = from_environment(env)
    settings, problems = merge(settings, initialization_options)
    settings, more = merge(settings, workspace_configuration)
    return settings, problems + more


def describe_problems(problems: list[str]) -> str:
    """One clear message for the user about invalid settings."""
    return (
        "DeepSeek FIM: some settings are invalid and their defaults are used instead: "
        + "; ".join(problems)
    )

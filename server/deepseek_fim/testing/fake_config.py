"""Configuration of the fake DeepSeek API and the scripted responses it accepts.

Every field has a default and can be changed while the fake runs (constructor, `configure()`,
`POST /_fake/config`); values from JSON are checked and coerced here, so a typo in a test fails
loudly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

USAGE_LOCATIONS = ("last_chunk", "separate")
ORACLE_ERRORS = ("place", "word")


@dataclass(frozen=True)
class FakeConfig:
    """Behaviour of the fake; prices are USD per 1M tokens (the V4-Flash row)."""

    completion: str = "return a + b"
    # Oracle mode (benchmarks): answer the true continuation of this text after the prompt.
    latency_ms: float = 0.0
    # The same for /models and /user/balance (a real API takes a round trip for those too).
    meta_latency_ms: float = 0.0
    chunk_delay_ms: float = 0.0
    keepalive_lines: int = 0
    keepalive_interval_ms: float = 20.0
    models: tuple[str, ...] = ("deepseek-flash", "deepseek-v4-flash")
    api_key: str | None = None
    balance: str = "8.40"
    balance_decimals: int = 2
    usage_location: str = "last_chunk"
    # Observed traffic carries usage even without stream_options.include_usage.
    stream_usage_always: bool = True
    cache_unit: int = 64
    price_cache_hit: str = "0.0028"
    price_cache_miss: str = "0.14"
    price_output: str = "0.28"
    max_output_tokens: int = 4096
    # Oracle mode of bench_editor_pauses: answer what follows the cursor in one of these texts
    # (see fake_oracle_files); the fixed `completion` answers when no text fits.
    oracle_files: tuple[str, ...] = ()
    # At most this many lines with content in an oracle answer (0: up to the request's suffix).
    oracle_lines: int = 0
    # The share of places where the oracle is right; elsewhere its answer starts right and
    # ends wrong (fixed per place and `oracle_seed`, so that benchmark runs compare).
    oracle_accuracy: float = 1.0
    oracle_seed: int = 0
    # What a wrong answer is fixed to: "place", a draw per cursor position (asked again one key
    # later, the oracle may be right); "word", a draw per word it gets wrong (the last word of
    # the answer), whichever place it is asked from, as a model decoding greedily does
    # (temperature 0: asked again after the user typed the start of its answer, it answers the
    # rest of the same answer).
    oracle_errors: str = "place"
    # Bill like a model: past the oracle's lines the model writes on (the rest of the true
    # continuation up to where the request's suffix begins) until the request's stop strings or
    # `max_tokens`, and every output token of it is billed (a `block` request pays for up to
    # `max_tokens`); the text sent is still the oracle's lines, what post-processing would keep
    # of such an answer. Without it only the oracle's lines are billed.
    oracle_run_on: bool = False
    # With `oracle_run_on`: send the run-on too, as a model does (its text to the stop or
    # `max_tokens`, not only the oracle's lines). Each further `oracle_lines` lines of it are
    # right or wrong on their own, with the draw a request asked where they start would get.
    oracle_sends_run_on: bool = False
    # A prompt's prefix units become cache hits only this long after a request first sent them
    # (DeepSeek builds its cache within seconds); 0 makes them hits for the very next request.
    cache_build_ms: float = 0.0
    # An outage at the connection level (a dropped VPN, a proxy restarting): every API request
    # is read and then answered with a TCP reset, no HTTP response; counted in `resets`.
    reset_connections: bool = False

    def updated(self, changes: Mapping[str, Any]) -> FakeConfig:
        """Return a copy with `changes` applied; raise ValueError on a bad field or value."""
        coerced: dict[str, Any] = {}
        for name, value in changes.items():
            coerce = _COERCERS.get(name)
            if coerce is None:
                raise ValueError(f"unknown fake config field {name!r}")
            try:
                coerced[name] = coerce(value)
            except (TypeError, ValueError, InvalidOperation) as exc:
                raise ValueError(f"bad value for fake config field {name!r}: {exc}") from exc
        return dataclasses.replace(self, **coerced)

    def to_json(self) -> dict[str, Any]:
        """Return the config as JSON-ready data (the API key itself is masked)."""
        data = dataclasses.asdict(self)
        data["models"] = list(self.models)
        data["oracle_files"] = list(self.oracle_files)
        if self.api_key is not None:
            data["api_key"] = "***"
        return data


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    if value < 0:
        raise ValueError("must not be negative")
    return float(value)


def _fraction(value: Any) -> float:
    number = _number(value)
    if number > 1:
        raise ValueError("must be between 0 and 1")
    return number


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _positive(value: Any) -> int:
    count = _count(value)
    if count == 0:
        raise ValueError("must be positive")
    return count


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _decimal_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise TypeError(f"expected a decimal string, got {value!r}")
    return str(Decimal(str(value)))


def _models(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of model ids, got {value!r}")
    return tuple(_text(item) for item in value)


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of texts, got {value!r}")
    return tuple(_text(item) for item in value)


def _usage_location(value: Any) -> str:
    if value not in USAGE_LOCATIONS:
        raise ValueError(f"expected one of {USAGE_LOCATIONS}, got {value!r}")
    return str(value)


def _oracle_errors(value: Any) -> str:
    if value not in ORACLE_ERRORS:
        raise ValueError(f"expected one of {ORACLE_ERRORS}, got {value!r}")
    return str(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "completion": _text,
    "latency_ms": _number,
    "meta_latency_ms": _number,
    "chunk_delay_ms": _number,
    "keepalive_lines": _count,
    "keepalive_interval_ms": _number,
    "models": _models,
    "api_key": _optional_text,
    "balance": _decimal_text,
    "balance_decimals": _count,
    "usage_location": _usage_location,
    "stream_usage_always": _flag,
    "cache_unit": _positive,
    "price_cache_hit": _decimal_text,
    "price_cache_miss": _decimal_text,
    "price_output": _decimal_text,
    "max_output_tokens": _positive,
    "oracle_files": _texts,
    "oracle_lines": _count,
    "oracle_accuracy": _fraction,
    "oracle_seed": _count,
    "oracle_errors": _oracle_errors,
    "oracle_run_on": _flag,
    "oracle_sends_run_on": _flag,
    "cache_build_ms": _number,
    "reset_connections": _flag,
}

# Keys a scripted response may carry, with their checks.
_SCRIPT_COERCERS: dict[str, Callable[[Any], Any]] = {
    "status": _positive,
    "message": _text,
    "type": _text,
    "code": _optional_text,
    "param": _optional_text,
    "text": _text,
    "latency_ms": _number,
    "chunk_delay_ms": _number,
    "keepalive_lines": _count,
    "keepalive_interval_ms": _number,
    "finish_reason": _text,
    "truncate": lambda value: value if isinstance(value, bool) else _positive(value),
    "drop": _flag,
    "usage_location": _usage_location,
}


def check_script_entry(entry: Any) -> dict[str, Any]:
    """Return a checked copy of one scripted response; raise ValueError if it is malformed."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"a scripted response must be an object, got {entry!r}")
    checked: dict[str, Any] = {}
    for key, value in entry.items():
        coerce = _SCRIPT_COERCERS.get(key)
        if coerce is None:
            raise ValueError(f"unknown scripted response key {key!r}")
        try:
            checked[key] = coerce(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad value for scripted response key {key!r}: {exc}") from exc
    status = checked.get("status", 200)
    if not 100 <= status <= 599:
        raise ValueError(f"scripted status {status} is not an HTTP status")
    return checked

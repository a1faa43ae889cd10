"""The FIM endpoint's pure parts: body validation, stop/max_tokens cuts, usage and JSON shapes.

Error texts follow what DeepSeek's axum-based API returns: unparsable JSON is a 400, a body that
does not fit the request type (missing field, wrong type) is a 422, an out-of-range value is a 400.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deepseek_fim.testing.fake_tokens import tokenize

MAX_STOP_STRINGS = 16
_DESERIALIZE = "Failed to deserialize the JSON body into the target type"


class FimBodyError(Exception):
    """A request body the API rejects, with the status and message DeepSeek would send."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param


@dataclass(frozen=True)
class FimBody:
    """The fields of a FIM request that the fake acts on."""

    model: str
    prompt: str
    suffix: str
    max_tokens: int | None
    stop: tuple[str, ...]
    stream: bool
    include_usage: bool


def decode_json(raw: bytes) -> Any:
    """Parse a request body; raise FimBodyError(400) if it is not JSON."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FimBodyError(400, f"Failed to parse the request body as JSON: {exc}") from exc


def parse_fim_body(data: Any, *, max_output_tokens: int) -> FimBody:
    """Check a decoded FIM body; raise FimBodyError with DeepSeek's status on a bad one."""
    if not isinstance(data, dict):
        raise FimBodyError(422, f"{_DESERIALIZE}: invalid type: expected struct CompletionRequest")
    model = _field(data, "model", str, required=True)
    prompt = _field(data, "prompt", str, required=True)
    suffix = _field(data, "suffix", str) or ""
    max_tokens = _field(data, "max_tokens", int)
    stream = bool(_field(data, "stream", bool))
    temperature = _field(data, "temperature", float)
    stop_value = data.get("stop")
    if stop_value is None:
        stop: tuple[str, ...] = ()
    elif isinstance(stop_value, str):
        stop = (stop_value,)
    elif isinstance(stop_value, list) and all(isinstance(s, str) for s in stop_value):
        stop = tuple(stop_value)
    else:
        raise FimBodyError(
            422, f"{_DESERIALIZE}: stop: expected a string or a list of strings", "stop"
        )
    options = data.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise FimBodyError(
            422, f"{_DESERIALIZE}: stream_options: expected struct", "stream_options"
        )
    include_usage = bool(options and options.get("include_usage") is True)

    if max_tokens is not None and not 1 <= max_tokens <= max_output_tokens:
        raise FimBodyError(
            400,
            f"Invalid max_tokens value, the valid range of max_tokens is [1, {max_output_tokens}]",
            "max_tokens",
        )
    if temperature is not None and not 0 <= temperature <= 2:
        raise FimBodyError(
            400, "Invalid temperature value, the valid range is [0, 2]", "temperature"
        )
    if len(stop) > MAX_STOP_STRINGS:
        raise FimBodyError(400, f"stop accepts at most {MAX_STOP_STRINGS} strings", "stop")
    if options is not None and not stream:
        raise FimBodyError(400, "stream_options should be set along with stream = true")
    return FimBody(model, prompt, suffix, max_tokens, stop, stream, include_usage)


def _field(data: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise FimBodyError(422, f"{_DESERIALIZE}: missing field `{name}`", name)
        return None
    ok = (
        isinstance(value, int | float) and not isinstance(value, bool)
        if kind is float
        else isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    )
    if not ok:
        raise FimBodyError(
            422, f"{_DESERIALIZE}: {name}: invalid type: {value!r}, expected {kind.__name__}", name
        )
    return value


def unknown_model_message(model: str, models: Sequence[str]) -> str | None:
    """Return DeepSeek's 400 message for a model not in `models`, or None if it is listed."""
    if model in models:
        return None
    return f"The supported API model names are {', '.join(models)}, but you passed {model}"


def shape_answer(text: str, body: FimBody) -> tuple[str, str]:
    """Apply `stop` then `max_tokens` to `text`; return the text sent and its finish_reason."""
    cuts = [text.find(s) for s in body.stop if s and s in text]
    if cuts:
        text = text[: min(cuts)]
    tokens = tokenize(text)
    if body.max_tokens is not None and len(tokens) > body.max_tokens:
        return "".join(tokens[: body.max_tokens]), "length"
    return text, "stop"


def make_usage(prompt_tokens: int, hit_tokens: int, completion_tokens: int) -> dict[str, int]:
    """Return DeepSeek's usage object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_cache_hit_tokens": hit_tokens,
        "prompt_cache_miss_tokens": prompt_tokens - hit_tokens,
    }


@dataclass(frozen=True)
class CompletionIds:
    """What every chunk of one completion repeats."""

    id: str
    created: int
    model: str

    @classmethod
    def new(cls, model: str) -> CompletionIds:
        """Return ids for a new completion."""
        return cls(f"cmpl-{uuid.uuid4().hex}", int(time.time()), model)


def completion_object(
    ids: CompletionIds,
    choices: list[dict[str, Any]],
    usage: dict[str, int] | None,
) -> dict[str, Any]:
    """Return a text_completion object (a whole answer or one stream chunk)."""
    obj: dict[str, Any] = {
        "id": ids.id,
        "object": "text_completion",
        "created": ids.created,
        "model": ids.model,
        "system_fingerprint": "fp_fake_deepseek",
        "choices": choices,
    }
    if usage is not None:
        obj["usage"] = usage
    return obj


def choice(text: str, finish_reason: str | None) -> dict[str, Any]:
    """Return one choice of a completion."""
    return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}

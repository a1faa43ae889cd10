"""The DeepSeek HTTP client: FIM requests, SSE, typed errors, /models and /user/balance."""

from deepseek_fim.deepseek.client import DeepSeekClient, SendProgress
from deepseek_fim.deepseek.errors import (
    ApiTimeout,
    AuthFailed,
    BadRequest,
    ConnectionFailed,
    DeepSeekError,
    InsufficientBalance,
    InvalidParameters,
    NoApiKey,
    Overloaded,
    RateLimited,
    ServerError,
    Unreachable,
    redact,
)
from deepseek_fim.deepseek.model_resolution import resolve_model, supported_models_from_message
from deepseek_fim.deepseek.models import Balance, BalanceInfo, FimRequest, FimResult, Usage
from deepseek_fim.deepseek.sse import SseLineParser
from deepseek_fim.deepseek.urls import (
    balance_url,
    fim_url,
    models_url,
    root_url,
    validate_base_url,
)

__all__ = [
    "ApiTimeout",
    "AuthFailed",
    "BadRequest",
    "Balance",
    "BalanceInfo",
    "ConnectionFailed",
    "DeepSeekClient",
    "DeepSeekError",
    "FimRequest",
    "FimResult",
    "InsufficientBalance",
    "InvalidParameters",
    "NoApiKey",
    "Overloaded",
    "RateLimited",
    "SendProgress",
    "ServerError",
    "SseLineParser",
    "Unreachable",
    "Usage",
    "balance_url",
    "fim_url",
    "models_url",
    "redact",
    "resolve_model",
    "root_url",
    "supported_models_from_message",
    "validate_base_url",
]

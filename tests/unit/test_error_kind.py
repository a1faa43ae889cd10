"""error_kind: which state-machine input each client error is."""

import pytest

from deepseek_fim.budget_tracker import error_kind
from deepseek_fim.deepseek import (
    ApiTimeout,
    ConnectionFailed,
    DeepSeekError,
    NoApiKey,
    Overloaded,
    RateLimited,
    Unreachable,
)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (Unreachable("refused"), "unreachable"),
        (ConnectionFailed("stream ended before [DONE]"), "connection"),
        (ApiTimeout("slow"), "timeout"),
        (RateLimited("busy", status=429), 429),
        (Overloaded("busy", status=503), 503),
        (NoApiKey("none"), None),
    ],
)
def test_error_kinds(exc: DeepSeekError, kind: object) -> None:
    assert error_kind(exc) == kind

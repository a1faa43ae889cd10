"""/models, /user/balance, model resolution and the data types."""

import json
from decimal import Decimal

import httpx
import pytest

from deepseek_fim.deepseek import (
    AuthFailed,
    Balance,
    BalanceInfo,
    ConnectionFailed,
    DeepSeekClient,
    FimResult,
    Usage,
    resolve_model,
    supported_models_from_message,
)

KEY = "sk-fake-test-key"


def client_for(routes: dict[str, httpx.Response], seen: list[httpx.Request]) -> DeepSeekClient:
    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes.get(str(request.url), httpx.Response(404))

    return DeepSeekClient(
        "https://api.deepseek.com/beta/", KEY, transport=httpx.MockTransport(respond)
    )


async def test_list_models_at_the_root_not_under_beta() -> None:
    seen: list[httpx.Request] = []
    body = {
        "object": "list",
        "data": [
            {"id": "deepseek-flash", "object": "model", "owned_by": "deepseek"},
            {"id": "deepseek-v4-flash", "object": "model", "owned_by": "deepseek"},
            {"object": "model"},
        ],
    }
    routes = {"https://api.deepseek.com/models": httpx.Response(200, json=body)}
    client = client_for(routes, seen)
    assert await client.list_models() == ("deepseek-flash", "deepseek-v4-flash")
    await client.aclose()
    assert [r.method for r in seen] == ["GET"]
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


async def test_list_models_malformed_body() -> None:
    seen: list[httpx.Request] = []
    routes = {"https://api.deepseek.com/models": httpx.Response(200, json={"data": "nope"})}
    client = client_for(routes, seen)
    with pytest.raises(ConnectionFailed):
        await client.list_models()


async def test_balance_parses_decimal_strings_exactly() -> None:
    seen: list[httpx.Request] = []
    body = {
        "is_available": True,
        "balance_infos": [
            {
                "currency": "USD",
                "total_balance": "8.36",
                "granted_balance": "8.359999999999999999",
                "topped_up_balance": "0.00",
            },
            {
                "currency": "CNY",
                "total_balance": "110.00",
                "granted_balance": "10.00",
                "topped_up_balance": "100.00",
            },
        ],
    }
    raw = b"\n\n" + json.dumps(body).encode()
    routes = {"https://api.deepseek.com/user/balance": httpx.Response(200, content=raw)}
    client = client_for(routes, seen)
    balance = await client.balance()
    assert balance == Balance(
        is_available=True,
        infos=(
            BalanceInfo("USD", Decimal("8.36"), Decimal("8.359999999999999999"), Decimal("0.00")),
            BalanceInfo("CNY", Decimal("110.00"), Decimal("10.00"), Decimal("100.00")),
        ),
    )
    assert str(balance.infos[0].topped_up) == "0.00"
    await client.aclose()


def test_balance_tolerates_missing_and_bad_fields() -> None:
    balance = Balance.from_api(
        {"is_available": "yes", "balance_infos": [{"currency": "USD", "total_balance": "n/a"}, 3]}
    )
    assert balance == Balance(False, (BalanceInfo("USD", Decimal(0), Decimal(0), Decimal(0)),))
    with pytest.raises(ValueError, match="not a JSON object"):
        Balance.from_api([])


async def test_balance_auth_failure() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "https://api.deepseek.com/user/balance": httpx.Response(
            401, json={"error": {"message": "Authentication Fails (no such user)"}}
        )
    }
    client = client_for(routes, seen)
    with pytest.raises(AuthFailed, match="Authentication Fails"):
        await client.balance()


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (["deepseek-reasoner", "deepseek-chat", "deepseek-flash"], "deepseek-chat"),
        (["deepseek-v4-flash", "deepseek-flash"], "deepseek-flash"),
        (["deepseek-v4-pro", "deepseek-v4-flash"], "deepseek-v4-flash"),
        (["deepseek-reasoner", "deepseek-v4-pro"], None),
        ([], None),
    ],
)
def test_resolve_model(available: list[str], expected: str | None) -> None:
    assert resolve_model(available) == expected
    assert resolve_model(tuple(available)) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "The supported API model names are deepseek-flash, deepseek-v4-flash, "
            "but you passed deepseek-chat",
            ("deepseek-flash", "deepseek-v4-flash"),
        ),
        (
            "The supported API model names are deepseek-v4-flash or deepseek-v4-pro, "
            "but you passed deepseek-reasoner.",
            ("deepseek-v4-flash", "deepseek-v4-pro"),
        ),
        (
            "Model Not Exist. The supported API model names are: `deepseek-flash`.",
            ("deepseek-flash",),
        ),
        ("Invalid max_tokens value, the valid range of max_tokens is [1, 4096]", ()),
        ("", ()),
    ],
)
def test_supported_models_from_message(message: str, expected: tuple[str, ...]) -> None:
    assert supported_models_from_message(message) == expected


def test_usage_without_cache_split_counts_prompt_as_miss() -> None:
    assert Usage.from_api({"prompt_tokens": 100, "completion_tokens": 3}) == Usage(0, 100, 3)
    assert Usage.from_api(None) is None
    assert Usage(10, 20, 3).prompt == 30


@pytest.mark.parametrize(
    ("finish", "truncated", "complete"),
    [
        ("stop", False, True),
        ("length", False, True),
        ("stop", True, False),
        ("content_filter", False, False),
        ("insufficient_system_resource", False, False),
        (None, False, False),
    ],
)
def test_fim_result_complete(finish: str | None, truncated: bool, complete: bool) -> None:
    assert FimResult("x", finish, None, "m", truncated).complete is complete

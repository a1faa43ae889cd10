"""URL building and base URL validation."""

import pytest

from deepseek_fim.deepseek import (
    DeepSeekClient,
    balance_url,
    fim_url,
    models_url,
    root_url,
    validate_base_url,
)


@pytest.mark.parametrize(
    ("base", "fim", "root"),
    [
        (
            "https://api.deepseek.com",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://api.deepseek.com/",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://api.deepseek.com//",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://api.deepseek.com/beta",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://api.deepseek.com/beta/",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://api.deepseek.com/beta//",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
        (
            "https://proxy.example/ds/",
            "https://proxy.example/ds/beta/completions",
            "https://proxy.example/ds",
        ),
        (
            "https://proxy.example/ds/beta",
            "https://proxy.example/ds/beta/completions",
            "https://proxy.example/ds",
        ),
        (
            "http://127.0.0.1:8123",
            "http://127.0.0.1:8123/beta/completions",
            "http://127.0.0.1:8123",
        ),
        (
            " https://api.deepseek.com ",
            "https://api.deepseek.com/beta/completions",
            "https://api.deepseek.com",
        ),
    ],
)
def test_fim_and_root_urls(base: str, fim: str, root: str) -> None:
    assert fim_url(base) == fim
    assert "/beta/beta" not in fim_url(base)
    assert root_url(base) == root
    assert models_url(base) == f"{root}/models"
    assert balance_url(base) == f"{root}/user/balance"


def test_a_path_that_merely_contains_beta_is_kept() -> None:
    assert fim_url("https://x.example/betamax") == "https://x.example/betamax/beta/completions"
    assert root_url("https://x.example/betamax") == "https://x.example/betamax"


@pytest.mark.parametrize(
    "base",
    [
        "https://api.deepseek.com",
        "https://api.deepseek.com/beta",
        "http://127.0.0.1:9999",
        "http://127.5.0.1:9999",
        "http://localhost:9999/",
        "http://[::1]:9999",
        "HTTPS://api.deepseek.com",
    ],
)
def test_allowed_base_urls(base: str) -> None:
    assert validate_base_url(base) == base


@pytest.mark.parametrize(
    "base",
    [
        "http://api.deepseek.com",
        "http://192.168.1.10:8080",
        "http://localhost.evil.example",
        "ftp://api.deepseek.com",
        "api.deepseek.com",
        "file:///etc/passwd",
        "https://",
        "",
    ],
)
def test_refused_base_urls(base: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        validate_base_url(base)


def test_client_refuses_a_remote_http_base() -> None:
    with pytest.raises(ValueError, match="https"):
        DeepSeekClient("http://api.deepseek.com", "sk-fake-test-key")

"""URLs of the DeepSeek API built from the configured base URL."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_BETA = "/beta"


def root_url(base_url: str) -> str:
    """Return the base URL without trailing slashes and without a trailing `/beta`."""
    base = base_url.strip().rstrip("/")
    if base.endswith(_BETA):
        base = base[: -len(_BETA)].rstrip("/")
    return base


def fim_url(base_url: str) -> str:
    """Return `{root}/beta/completions`; a base that already ends in `/beta` is not doubled."""
    return f"{root_url(base_url)}{_BETA}/completions"


def models_url(base_url: str) -> str:
    """Return `{root}/models` (never under `/beta`)."""
    return f"{root_url(base_url)}/models"


def balance_url(base_url: str) -> str:
    """Return `{root}/user/balance` (never under `/beta`)."""
    return f"{root_url(base_url)}/user/balance"


def is_loopback_host(host: str) -> bool:
    """Return True for localhost names and loopback IP addresses."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(base_url: str) -> str:
    """Return the base URL if it is usable, else raise ValueError.

    https is required; plain http only to a loopback host (the fake API in tests), so the key is
    never sent in clear text over a network.
    """
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname
    except ValueError as exc:
        raise ValueError(f"invalid DeepSeek base URL: {base_url!r}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"DeepSeek base URL must start with https:// (got {base_url!r})")
    if not host:
        raise ValueError(f"DeepSeek base URL has no host: {base_url!r}")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            f"DeepSeek base URL must use https:// for a non-local host (got {base_url!r})"
        )
    return base_url

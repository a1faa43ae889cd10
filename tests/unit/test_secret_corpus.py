"""Secrets split by the cursor: each secret of a corpus, at every cursor position inside it."""

import pytest

from deepseek_fim.privacy import MASK, LineMasker

# Real-looking, obviously fake secrets, in the lines they appear in: (line, the secret).
CORPUS = [
    ('aws_key = "AKIAIOSFODNN7EXAMPLE"', "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
    ),
    ('gh = "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake1234"', "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake1234"),
    ('slack = "xoxb-123456789012-FAKEfakeFAKE"', "xoxb-123456789012-FAKEfakeFAKE"),
    ('API_KEY: "sk-fakefakefakefakefakefake1234"', "sk-fakefakefakefakefakefake1234"),
    ('db_password = "hunter2-correct-horse"', "hunter2-correct-horse"),
    ("export GITHUB_TOKEN=fake0token0value0here", "fake0token0value0here"),
    ('"client_secret": "fake-client-secret-value"', "fake-client-secret-value"),
    (
        'jwt_token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.ZmFrZXNpZ25hdHVyZQ"',
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.ZmFrZXNpZ25hdHVyZQ",
    ),
    (
        'DATABASE_PASSWORD = "postgres-fake-pw-42"  # postgres://app@db:5432/app',
        "postgres-fake-pw-42",
    ),
]
KEY_BLOCK = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEfakeFAKEfakeFAKEfakeFAKEfake\nFAKEfakeFAKEfakeFAKE\n"
    "-----END RSA PRIVATE KEY-----"
)


def pieces(secret: str, line: str) -> list[str]:
    """Every 6-character piece of the secret not also in the rest of the line: none may leave."""
    rest = line.replace(secret, " ")
    return [p for i in range(len(secret) - 5) if (p := secret[i : i + 6]) not in rest]


@pytest.mark.parametrize(("line", "secret"), CORPUS)
def test_secret_masked_at_every_cursor_position(line, secret):
    masker = LineMasker()
    text = f"import os\n{line}\nprint(1)\n"
    start = text.index(secret)
    for cursor in range(start, start + len(secret) + 1):
        prompt, suffix = masker.mask_around_cursor(text[:cursor], text[cursor:])
        for piece in pieces(secret, line):
            assert piece not in prompt and piece not in suffix, (cursor, prompt, suffix)
        assert MASK in prompt + suffix
        assert prompt.startswith("import os\n") and suffix.endswith("\nprint(1)\n")


def test_private_key_split_anywhere_is_masked():
    masker = LineMasker()
    text = f"x = 1\n{KEY_BLOCK}\ny = 2\n"
    for cursor in range(len("x = 1\n"), len(text) - len("\ny = 2\n")):
        prompt, suffix = masker.mask_around_cursor(text[:cursor], text[cursor:])
        assert "FAKEfake" not in prompt and "FAKEfake" not in suffix, cursor
        assert (prompt + suffix).count("\n") == text.count("\n")


def test_text_without_secrets_is_split_where_it_was():
    masker = LineMasker()
    text = "def add(a, b):\n    return a + b\n"
    for cursor in range(len(text) + 1):
        assert masker.mask_around_cursor(text[:cursor], text[cursor:]) == (
            text[:cursor],
            text[cursor:],
        )

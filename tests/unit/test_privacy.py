"""Exclude globs and secret masking: each pattern, line counts kept, normal code untouched."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from deepseek_fim.privacy import DEFAULT_EXCLUDE, MASK, is_excluded, mask_secrets

# Obvious fakes, assembled at run time so that no key-shaped literal sits in the source.
FAKE_AWS = "AKIA" + "FAKEFAKEFAKEFAKE"
FAKE_GITHUB = "ghp_" + "fake" * 9
FAKE_SK = "sk-fake-test-key-" + "0" * 16
FAKE_PEM_BODY = "ZmFrZQ==\n" * 3


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        "project/.env.production",
        "/home/u/certs/server.pem",
        "deploy/tls.key",
        "/home/u/.ssh/id_rsa",
        "id_rsa.pub",
        "config/client_secret.json",
        "aws_credentials",
        "C:\\Users\\u\\secrets\\Secret.yaml",
        "file:///work/.env",
    ],
)
def test_default_globs_exclude(path: str) -> None:
    assert is_excluded(path, DEFAULT_EXCLUDE)


@pytest.mark.parametrize(
    "path",
    ["src/app.py", "environment.py", "keyboard.ts", "src/pem_utils.go", "docs/keys.md", "env.lua"],
)
def test_default_globs_keep_normal_files(path: str) -> None:
    assert not is_excluded(path, DEFAULT_EXCLUDE)


def test_custom_globs_match_full_paths_and_directories() -> None:
    assert is_excluded("/work/repo/vendor/lib.js", ["*/vendor/*"])
    assert is_excluded("repo/private/notes.md", ["private/*"])
    assert not is_excluded("repo/public/notes.md", ["private/*"])
    assert not is_excluded("anything.py", [])


def test_private_key_block_is_masked_keeping_lines() -> None:
    text = (
        "key = '''\n-----BEGIN RSA PRIVATE KEY-----\n"
        + FAKE_PEM_BODY
        + "-----END RSA PRIVATE KEY-----\n'''\nprint(key)"
    )
    masked = mask_secrets(text)
    assert "ZmFrZQ" not in masked
    assert MASK in masked
    assert masked.count("\n") == text.count("\n")
    assert masked.endswith("'''\nprint(key)")


def test_key_block_cut_by_a_window_is_masked() -> None:
    head_cut = FAKE_PEM_BODY + "-----END OPENSSH PRIVATE KEY-----\nx = 1"
    masked = mask_secrets(head_cut)
    assert "ZmFrZQ" not in masked and masked.endswith("\nx = 1")
    assert masked.count("\n") == head_cut.count("\n")
    tail_cut = "x = 1\n-----BEGIN EC PRIVATE KEY-----\n" + FAKE_PEM_BODY
    masked = mask_secrets(tail_cut)
    assert "ZmFrZQ" not in masked and masked.startswith("x = 1\n")
    assert masked.count("\n") == tail_cut.count("\n")


@pytest.mark.parametrize(
    ("template", "secret"),
    [
        ("aws_id = {s}", FAKE_AWS),
        ("AWS_ACCESS_KEY_ID: {s}", FAKE_AWS),
        ("gh = '{s}'", FAKE_GITHUB),
        ("client = OpenAI(api_key='{s}')", FAKE_SK),
        ("curl -H 'Authorization: Bearer {s}'", FAKE_SK),
    ],
)
def test_token_shapes_are_masked(template: str, secret: str) -> None:
    text = template.format(s=secret)
    masked = mask_secrets(text)
    assert secret not in masked
    assert MASK in masked
    assert masked.replace(MASK, "") == template.format(s="")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('password = "hunter2-fake"', 'password = "<masked>"'),
        ("db_passwd = 'fake-pass-1'", "db_passwd = '<masked>'"),
        ('SECRET = "fake secret value"', 'SECRET = "<masked>"'),
        ('self.token = "fake-token-123"', 'self.token = "<masked>"'),
        ('{"api_key": "fake-api-key"}', '{"api_key": "<masked>"}'),
        ("apiKey: 'fake-api-key',", "apiKey: '<masked>',"),
        ('db_password: str = "fake-pass"', 'db_password: str = "<masked>"'),
        ("local token = 'fake-lua-token'", "local token = '<masked>'"),
        ("export API_TOKEN=fake-token-value", "export API_TOKEN=<masked>"),
    ],
)
def test_assigned_secrets_are_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'token_type = "identifier"',
        'password_prompt = "Enter your password"',
        'author = "Jane Doe"',
        "password = os.environ['DB_PASSWORD']",
        'password = ""',
        'token = "("',
        'NUMBER_TOKEN = "NUMBER"',
        'api_key = "${API_KEY}"',
        'secret = "{{ vault.secret }}"',
        'password = "changeme"',
        "def check_password(password: str) -> bool:",
        "if token.kind == TokenKind.NAME:",
        "const key = `${prefix}-${id}`;",
        "sk = skip_list.head  # sk-ip",
        "-- a comment about tokens and secrets",
    ],
)
def test_normal_code_is_untouched(text: str) -> None:
    assert mask_secrets(text) == text


def test_real_source_files_are_untouched() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("argparse.py", "json/decoder.py", "tokenize.py", "secrets.py", "getpass.py"):
        text = (stdlib / name).read_text(encoding="utf-8")
        assert mask_secrets(text) == text, name


def test_masking_keeps_line_count_on_mixed_text() -> None:
    text = "\n".join(
        [
            "import os",
            f"KEY = '{FAKE_SK}'",
            "-----BEGIN PRIVATE KEY-----",
            "ZmFrZQ==",
            "-----END PRIVATE KEY-----",
            f'token = "{FAKE_GITHUB}"',
            "",
        ]
    )
    masked = mask_secrets(text)
    assert masked.count("\n") == text.count("\n")
    assert FAKE_SK not in masked and FAKE_GITHUB not in masked and "ZmFrZQ" not in masked
    assert masked.startswith("import os\n")


def test_case_and_length_changing_characters() -> None:
    text = 'İstanbul = 1\nDB_PASSWORD = "fake-pass-9"\nx = "İİ"'
    masked = mask_secrets(text)
    assert masked == 'İstanbul = 1\nDB_PASSWORD = "<masked>"\nx = "İİ"'


LINE_MASKER_CASES = [
    'x = 1\npassword = "hunter2-secret"\ny = ',
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\nabc",
    "key = 'AKIAIOSFODNN7EXAMPLE'\nprint(key)",
    "plain code\nwithout secrets\n",
    "",
]


@pytest.mark.parametrize("text", LINE_MASKER_CASES)
def test_line_masker_equals_mask_secrets(text):
    from deepseek_fim.privacy import LineMasker

    masker = LineMasker()
    for _ in range(2):  # the second call answers from memory
        assert masker.mask(text) == mask_secrets(text)


def test_line_masker_equals_mask_secrets_on_real_code():
    from deepseek_fim.privacy import LineMasker

    masker = LineMasker(max_lines=500)  # small, so that the memory also starts over
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("argparse.py", "smtplib.py", "netrc.py", "getpass.py", "ssl.py"):
        text = (stdlib / name).read_text(encoding="utf-8")
        assert masker.mask(text) == mask_secrets(text), name

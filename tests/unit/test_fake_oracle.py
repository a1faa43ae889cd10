"""The fake's oracle mode: it answers the true continuation of a known file."""

from __future__ import annotations

import httpx

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.fake_oracle import oracle_answer

SOURCE = (
    "import os\n"
    "\n"
    "def add(a, b):\n"
    "    total = a + b\n"
    "    return total\n"
    "\n"
    "def sub(a, b):\n"
    "    return a - b\n"
)


def test_mid_line_answers_the_rest_of_the_line() -> None:
    assert oracle_answer(SOURCE, "import os\n\ndef add(a, b):\n    total = a") == " + b"


def test_line_end_answers_the_block_up_to_a_blank_line() -> None:
    prompt = "# header\nimport os\n\ndef add(a, b):"
    assert oracle_answer(SOURCE, prompt) == "\n    total = a + b\n    return total"


def test_unknown_prompt_has_no_answer() -> None:
    assert oracle_answer(SOURCE, "something else entirely") is None


def test_fake_in_oracle_mode_answers_and_applies_stop() -> None:
    with FakeDeepSeek(oracle_text=SOURCE) as fake:
        headers = {"Authorization": "Bearer sk-fake-test-key"}
        with httpx.Client(base_url=fake.url, headers=headers, timeout=10.0) as client:
            body = {
                "model": "deepseek-flash",
                "prompt": "import os\n\ndef add(a, b):",
                "suffix": "\n",
                "stop": ["\n    return"],
            }
            response = client.post("/beta/completions", json=body)
    assert response.status_code == 200
    assert response.json()["choices"][0]["text"] == "\n    total = a + b"

"""A multi-line block asked for at a line's end, accepted in real Neovim, saved as expected.

Issue 19: at the end of a line that opens a block (a CSS selector, a Kotlin signature, a
Python loop header) the server must ask DeepSeek for a block, or the fake (which applies the
request's stop sequences as DeepSeek does) cuts the answer to its first line: a lone ``{``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor

# language -> (file name, lines, cursor row (1-based, at its end), answer, file after saving)
CASES = {
    "css": (
        "style.css",
        ["body {", "  margin: 0;", "}", "", ".card"],
        5,
        " {\n  padding: 1rem;\n  border-radius: 4px;\n}",
        "body {\n  margin: 0;\n}\n\n.card {\n  padding: 1rem;\n  border-radius: 4px;\n}\n",
    ),
    "kotlin": (
        "Circle.kt",
        ["class Circle(val r: Double) {", "    fun area(): Double", "}"],
        2,
        " {\n        return Math.PI * r * r\n    }",
        "class Circle(val r: Double) {\n    fun area(): Double {\n"
        "        return Math.PI * r * r\n    }\n}\n",
    ),
    "python": (
        "cart.py",
        ["def total(items):", "    total = 0", "    for item in items"],
        3,
        ":\n        total += item.price",
        "def total(items):\n    total = 0\n    for item in items:\n        total += item.price\n",
    ),
}


@pytest.mark.parametrize("language", list(CASES))
def test_a_block_at_a_lines_end_is_accepted_whole_and_saved(
    editor: Editor, tmp_path: Path, language: str
) -> None:
    name, lines, row, completion, expected = CASES[language]
    editor.fake.configure(completion=completion)
    path = tmp_path / name
    editor.open(path, lines)
    editor.nvim.current.window.cursor = (row, 0)
    editor.type("A")
    editor.wait_ghost(completion)
    request = editor.fake.fim_requests()[-1]["body"]
    assert "\n" not in request["stop"], f"asked for one line: {request['stop']!r}"
    editor.type("<Tab>")
    wait_until(
        lambda: "\n".join(editor.nvim.current.buffer) + "\n" == expected,
        what="the accepted block",
        show=lambda: "\n".join(editor.nvim.current.buffer),
    )
    editor.type("<Esc>")
    wait_until(lambda: editor.mode() == "n", what="normal mode")
    editor.nvim.command("write")
    assert path.read_text() == expected

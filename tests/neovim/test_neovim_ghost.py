"""Ghost text in real Neovim: shown after typing, accepted whole, by word and by line, cancelled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor

BODY = "total = a + b\n    return total"


def start_typing(editor: Editor, path: Path, lines: list[str], row: int) -> None:
    """Open `lines` and enter insert mode at the end of line `row` (1-based)."""
    editor.open(path, lines)
    editor.nvim.current.window.cursor = (row, 0)
    editor.type("A")


def test_typing_shows_the_fake_completion_as_ghost_text(editor: Editor, tmp_path: Path) -> None:
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    assert editor.wait_ghost("a + b") == "a + b"
    assert editor.mode() == "i"
    assert editor.line(2) == "    return ", "ghost text must not be in the buffer"
    prompt = editor.fake.fim_requests()[-1]["body"]["prompt"]
    assert prompt.endswith("def add(a, b):\n    return ")


def test_multi_line_ghost_text_uses_virtual_lines(editor: Editor, tmp_path: Path) -> None:
    editor.fake.configure(completion=BODY)
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    "], 2)
    assert editor.wait_ghost(BODY) == BODY
    assert len(editor.nvim.current.buffer) == 2


def test_accept_inserts_exactly_the_completion_and_is_recorded(
    editor: Editor, tmp_path: Path
) -> None:
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    editor.wait_ghost("a + b")
    editor.type("<Tab>")
    wait_until(lambda: editor.line(2) == "    return a + b", what="the accepted line")
    assert tuple(editor.nvim.current.window.cursor) == (2, len("    return a + b"))
    assert list(editor.nvim.current.buffer) == ["def add(a, b):", "    return a + b"]
    assert editor.mode() == "i"
    wait_until(lambda: editor.ghost() is None, what="the ghost text to go")
    wait_until(
        lambda: editor.status()["session"]["accepted"] == 1, what="the accept to be recorded"
    )


def test_tab_without_a_suggestion_inserts_a_tab(editor: Editor, tmp_path: Path) -> None:
    editor.fake.configure(completion="")  # nothing worth showing
    start_typing(editor, tmp_path / "calc.py", ["x = 1"], 1)
    editor.fake.wait_for_requests(1)
    editor.type("<Tab>")
    wait_until(lambda: editor.line(1) == "x = 1\t", what="a literal tab")


def test_accept_word_then_line_insert_the_right_parts(editor: Editor, tmp_path: Path) -> None:
    editor.fake.configure(completion=BODY)
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    "], 2)
    editor.wait_ghost(BODY)
    editor.type("<M-Right>")
    wait_until(lambda: editor.line(2) == "    total", what="the first word")
    editor.wait_ghost(" = a + b\n    return total")
    editor.type("<M-C-Right>")
    wait_until(lambda: editor.line(2) == "    total = a + b", what="the rest of the line")
    assert len(editor.nvim.current.buffer) == 2
    editor.wait_ghost("\n    return total")
    editor.type("<M-C-Right>")
    wait_until(lambda: editor.line(3) == "    return total", what="the next line")
    assert list(editor.nvim.current.buffer) == [
        "def add(a, b):",
        "    total = a + b",
        "    return total",
    ]
    wait_until(lambda: editor.status()["session"]["accepted"] >= 1, what="a recorded accept")


def test_typing_a_character_of_the_suggestion_keeps_it(editor: Editor, tmp_path: Path) -> None:
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    editor.wait_ghost("a + b")
    editor.type("a")
    editor.wait_ghost(" + b")
    editor.type(" +")
    editor.wait_ghost(" b")
    assert editor.line(2) == "    return a +"


def test_moving_the_cursor_or_leaving_insert_mode_clears_it(editor: Editor, tmp_path: Path) -> None:
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    editor.wait_ghost("a + b")
    asked = len(editor.fake.fim_requests())
    editor.type("<Left>")
    if editor.version == "0.11":
        # Our own ghost text: cleared at once when the cursor leaves the suggestion's place.
        wait_until(lambda: editor.ghost() is None, what="the ghost text to clear on cursor move")
    # Both: a new suggestion is asked for where the cursor is now.
    wait_until(
        lambda: any(
            r["body"]["prompt"].endswith("    return") for r in editor.fake.fim_requests()[asked:]
        ),
        what="a request for the new cursor position",
    )
    editor.wait_ghost("a + b")
    editor.type("<Esc>")
    wait_until(lambda: editor.ghost() is None, what="the ghost text to clear on <Esc>")


def test_dismiss_hides_the_suggestion(editor: Editor, tmp_path: Path) -> None:
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    editor.wait_ghost("a + b")
    editor.type("<C-]>")
    wait_until(lambda: editor.ghost() is None, what="the ghost text to be dismissed")
    assert editor.line(2) == "    return "


def test_typing_on_cancels_the_request_in_flight(editor: Editor, tmp_path: Path) -> None:
    editor.fake.configure(latency_ms=3000)
    start_typing(editor, tmp_path / "calc.py", ["def add(a, b):", "    return "], 2)
    first = wait_until(lambda: editor.fake.fim_requests(), what="a request in flight")[0]
    assert not first["finished"]
    editor.type("x")
    gone = editor.fake.wait_for_disconnect(timeout=5)
    assert gone["id"] == first["id"]
    assert gone["disconnected"] and not gone["completed"]
    assert editor.ghost() is None


def saved(editor: Editor, path: Path) -> str:
    """Leave insert mode, write the buffer and return the file as saved."""
    editor.type("<Esc>")
    wait_until(lambda: editor.mode() == "n", what="normal mode")
    editor.nvim.command("write")
    return path.read_text()


def test_accept_replaces_the_auto_closed_paren(editor: Editor, tmp_path: Path) -> None:
    # The server's range covers the ")" after the cursor, which the answer contains.
    editor.fake.configure(completion="a, b);")
    path = tmp_path / "main.js"
    editor.open(path, ["function main(a, b) {", "  console.log()", "}"])
    editor.nvim.current.window.cursor = (2, len("  console.log("))
    editor.type("i")
    editor.wait_ghost()
    editor.type("<Tab>")
    wait_until(lambda: editor.line(2) == "  console.log(a, b);", what="the accepted call")
    assert saved(editor, path) == "function main(a, b) {\n  console.log(a, b);\n}\n"


@pytest.mark.parametrize("delay", [0.0, 0.1], ids=["0ms", "100ms"])
def test_accept_right_after_typing_into_the_suggestion_inserts_the_rest(
    editor: Editor, tmp_path: Path, delay: float
) -> None:
    editor.fake.configure(completion="total = a + b")
    path = tmp_path / "calc.py"
    start_typing(editor, path, ["def add(a, b):", "    "], 2)
    editor.wait_ghost("total = a + b")
    if delay:
        editor.type("to")
        time.sleep(delay)
        editor.type("<Tab>")
    else:
        editor.type("to<Tab>")
    wait_until(lambda: editor.line(2) == "    total = a + b", what="the accepted line")
    time.sleep(0.3)  # nothing else may arrive in the buffer afterwards
    assert saved(editor, path) == "def add(a, b):\n    total = a + b\n"

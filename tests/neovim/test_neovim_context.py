"""Context from other files in real Neovim: open buffers and unopened imports reach the prompt.

Neovim sends didOpen for every buffer the plugin attaches to; the server indexes them from
there, so the prompt of one file carries the signatures of the files it imports, and the status
tooltip (`:DeepSeekFim status`) names them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor

UTIL = [
    "def parse_config(path: str, *, strict: bool = False) -> dict:",
    "    return {}",
]
APP = ["from util import parse_config", "", "", "def main():", "    "]


def context_of_last_prompt(editor: Editor) -> str:
    prompt = str(editor.fake.fim_requests()[-1]["body"]["prompt"])
    return prompt.split("# Path: ")[0]


def test_an_open_buffer_lends_its_signatures_and_the_tooltip_names_it(
    editor: Editor, tmp_path: Path
) -> None:
    editor.open(tmp_path / "util.py", UTIL)
    editor.open(tmp_path / "app.py", APP)
    editor.nvim.current.window.cursor = (5, 0)
    editor.type("A")
    editor.wait_ghost()
    head = context_of_last_prompt(editor)
    assert "# def parse_config(path: str, *, strict: bool = False) -> dict:" in head
    assert "return {}" not in head
    wait_until(
        lambda: (
            "Context of the last prompt: util.py"
            in str(editor.lua("return (require('deepseek_fim.status').latest or {}).tooltip"))
        ),
        what="the tooltip to name the context",
    )


def test_an_unopened_import_is_read_from_disk_in_the_repository(
    editor: Editor, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()  # the plugin's root marker: the workspace root
    (tmp_path / "util.py").write_text("\n".join(UTIL) + "\n")
    editor.open(tmp_path / "app.py", APP)
    editor.nvim.current.window.cursor = (5, 0)
    editor.type("A")
    editor.wait_ghost()

    def signature_sent() -> bool:
        if "# def parse_config(" in context_of_last_prompt(editor):
            return True
        sent = len(editor.fake.fim_requests())
        editor.type("<CR>")  # a new line, a new request (the outline is read in the background)
        wait_until(lambda: len(editor.fake.fim_requests()) > sent, what="another request")
        return False

    wait_until(signature_sent, what="the unopened import's signature in a prompt")


def test_other_open_buffers_send_no_requests_of_their_own(editor: Editor, tmp_path: Path) -> None:
    # Neovim 0.12's built-in inline completion reacts to cursor moves in any buffer: with three
    # buffers enabled, each key asked three times, twice for a buffer the user was not in.
    for name in ("one.py", "two.py"):
        editor.open(tmp_path / name, ["def helper_" + name[:3] + "(x):", "    return x", ""])
    editor.open(tmp_path / "app.py", APP)
    editor.nvim.current.window.cursor = (5, 0)
    editor.type("A")
    editor.wait_ghost()
    for key in "re":
        editor.type(key)
        editor.wait_ghost()
    prompts = [str(r["body"]["prompt"]) for r in editor.fake.fim_requests()]
    assert prompts
    headers = [prompt.split("# Path: ")[1].split("\n")[0] for prompt in prompts]
    # Every request is for the buffer typed in, named without the whole path.
    assert all(header.endswith("app.py") for header in headers), headers
    assert all(str(tmp_path) not in prompt for prompt in prompts), headers

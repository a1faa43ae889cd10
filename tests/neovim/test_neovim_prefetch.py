"""Prefetch after an accept, in real Neovim: the next ghost text needs no request of its own.

With `prefetch` on (it is off by default), Tab accepts a whole suggestion; the server then asks
DeepSeek for what follows at the end of the inserted text, and the request the editor makes right
after the accept is answered by that prefetch. Judged by the buffer after accepting the second
ghost text too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor


def test_the_ghost_after_an_accept_comes_from_the_prefetch(editor: Editor, tmp_path: Path) -> None:
    editor.nvim.exec_lua(
        'require("deepseek_fim").setup({ settings = { debounceMs = 0, prefetch = true },'
        " ghost = { delay_ms = 10 } })"
    )
    editor.fake.script({"text": "return a"}, {"text": " + b"})
    editor.open(tmp_path / "calc.py", ["def add(a, b):", "    "])
    editor.nvim.current.window.cursor = (2, 0)
    editor.type("A")
    editor.wait_ghost("return a")
    editor.type("<Tab>")
    wait_until(lambda: editor.line(2) == "    return a", what="the first suggestion accepted")
    editor.wait_ghost(" + b")
    fim = editor.fake.fim_requests()
    assert len(fim) == 2, [r["body"]["prompt"][-20:] for r in fim]
    assert fim[1]["body"]["prompt"].endswith("def add(a, b):\n    return a")
    session = editor.status()["session"]
    assert (session["prefetched"], session["prefetchUsed"]) == (1, 1)
    editor.type("<Tab>")
    wait_until(lambda: editor.line(2) == "    return a + b", what="the prefetched one accepted")
    assert list(editor.nvim.current.buffer[:]) == ["def add(a, b):", "    return a + b"]
    # This accept prefetches in turn, at the end of "    return a + b".
    wait_until(lambda: len(editor.fake.fim_requests()) == 3, what="the second prefetch")
    assert editor.fake.fim_requests()[2]["body"]["prompt"].endswith("    return a + b")

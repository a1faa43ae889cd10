"""One wait only: each keystroke asks the server at once; the server decides how long to wait.

On 0.12 the built-in inline completion would wait 200 ms after every key before asking; the
plugin asks at once instead. Keys 150 ms apart show the difference as behaviour: an opening
bracket (where the server does not wait) gets a request of its own only when nothing on the
client held it back.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor


def test_each_keystroke_asks_at_once(editor: Editor, tmp_path: Path) -> None:
    path = tmp_path / "calc.py"
    editor.open(path, ["def add(a, b):", "    return "])
    editor.nvim.current.window.cursor = (2, 0)
    editor.type("A")
    editor.wait_ghost("a + b")
    asked = len(editor.fake.fim_requests())
    editor.type("(")
    time.sleep(0.15)
    editor.type("y")

    def prompts() -> list[str]:
        return [r["body"]["prompt"] for r in editor.fake.fim_requests()[asked:]]

    wait_until(
        lambda: any(p.endswith("    return (y") for p in prompts()), what="the request for (y"
    )
    assert any(p.endswith("    return (") for p in prompts()), prompts()
    assert editor.line(2) == "    return (y"

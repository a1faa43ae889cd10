"""The settings given to setup() reach the server, at start and when setup() runs again.

Neovim 0.11+ may resolve the plugin's `lsp/deepseek_fim.lua` config before setup() runs; the
settings must still be read when the server starts (they once were not: only `enabled` arrived,
and every user setting was silently ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Editor, wait_until

pytestmark = pytest.mark.editor


def test_setup_settings_reach_the_server(editor: Editor, tmp_path: Path) -> None:
    editor.open(tmp_path / "calc.py", ["def add(a, b):", "    "])
    # conftest's setup() says debounceMs = 0 (the default is 250).
    assert editor.status()["pace"]["settings"]["debounceMs"] == 0
    editor.nvim.exec_lua(
        'require("deepseek_fim").setup({ settings = { debounceMs = 120, prefixTokens = 500 } })'
    )
    wait_until(
        lambda: (
            editor.status()["pace"]["settings"]
            == {
                "debounceMs": 120,
                "prefixTokens": 500,
                "suffixTokens": 256,
                "contextTokens": 800,
            }
        ),
        what="the new settings on the server",
    )

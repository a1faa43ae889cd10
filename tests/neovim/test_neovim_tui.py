"""What a user sees: Neovim in a real terminal (tmux), ghost text on screen, Tab accepts it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PLUGIN, REPO, nvim_binary, wait_until

pytestmark = pytest.mark.editor

ARTIFACTS = REPO / "artifacts" / "neovim"
INIT_LUA = """
vim.opt.rtp:prepend({plugin!r})
vim.cmd("filetype on")
vim.cmd("runtime plugin/deepseek_fim.lua")
vim.o.laststatus = 2
vim.o.statusline = "%f%m %= %{{v:lua.require'deepseek_fim'.statusline()}} "
require("deepseek_fim").setup({{ settings = {{ debounceMs = 0 }}, ghost = {{ delay_ms = 10 }} }})
"""


class Tmux:
    """A tmux server of our own (its own socket), with one 100x20 session."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "nvim")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"deepseek-fim-test-{os.getpid()}-{tmp_path.name}")
    try:
        yield t
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], check=False, capture_output=True)


def test_ghost_text_on_a_real_terminal_screen(
    nvim_version: str, editor_env: dict[str, str], tmp_path: Path, tmux: Tmux
) -> None:
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA.format(plugin=str(PLUGIN)))
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return \n")
    command = shlex.join(
        [str(nvim_binary(nvim_version)), "-u", str(init), "-i", "NONE", "-n", str(source)]
    )
    env_args = [arg for name, value in editor_env.items() for arg in ("-e", f"{name}={value}")]
    tmux.run("new-session", "-d", "-s", "nvim", "-x", "100", "-y", "20", *env_args, command)
    # The budget in the statusline says the server is up and attached.
    wait_until(
        lambda: re.search(r"DeepSeek \$\d+\.\d\d ≈\S+ tok · \d+d", tmux.screen()),
        what="the budget (money, tokens, days) in the statusline",
        show=tmux.screen,
    )
    tmux.run("send-keys", "-t", "nvim", "j", "A")

    def ghost_on_screen() -> str | None:
        screen = tmux.screen()
        return screen if "    return a + b" in screen else None

    screen = wait_until(ghost_on_screen, what="ghost text on screen", show=tmux.screen)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    capture = ARTIFACTS / f"ghost-text-nvim-{nvim_version}.txt"
    capture.write_text(screen)
    # The same screen with its colours (ANSI escapes): the ghost text is in the Comment colour.
    colours = tmux.run("capture-pane", "-p", "-e", "-t", "nvim")
    capture.with_suffix(".ansi").write_text(colours)
    assert "\x1b[" in colours
    assert "-- INSERT --" in screen
    assert source.read_text() == "def add(a, b):\n    return \n", "ghost text is not in the file"
    tmux.run("send-keys", "-t", "nvim", "Tab")
    wait_until(lambda: "[+]" in tmux.screen(), what="the buffer modified by Tab", show=tmux.screen)
    tmux.run("send-keys", "-t", "nvim", "Escape", ":w", "Enter")
    wait_until(
        lambda: source.read_text() == "def add(a, b):\n    return a + b\n",
        what="the accepted suggestion saved",
    )
    (ARTIFACTS / f"statusline-nvim-{nvim_version}.txt").write_text(tmux.screen())
    tmux.run("send-keys", "-t", "nvim", ":qa!", "Enter")

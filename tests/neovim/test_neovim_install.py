"""`:DeepSeekFim install` in a real terminal: with no server anywhere, install it, then type.

Neovim (0.11 and 0.12) runs in tmux with a bare PATH (/usr/bin:/bin: Debian's python3, no
`deepseek-fim-ls`), fresh XDG directories and no `cmd` option. The install builds the server from
this repository into `stdpath("data")/deepseek-fim/venv` (dependencies from PyPI through pip's
cache); the plugin must then start it for the open buffer and show ghost text.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PLUGIN, REPO, nvim_binary, wait_until
from test_neovim_tui import INIT_LUA, Tmux

pytestmark = pytest.mark.editor

ARTIFACTS = REPO / "artifacts" / "neovim"
BARE_PATH = "/usr/bin:/bin"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"deepseek-fim-install-{os.getpid()}-{tmp_path.name}")
    try:
        yield t
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], check=False, capture_output=True)


def bare_python_lacks_the_server() -> bool:
    env = {"PATH": BARE_PATH}
    probe = subprocess.run(
        ["python3", "-c", "import deepseek_fim"], env=env, capture_output=True, check=False
    )
    which = subprocess.run(
        ["sh", "-c", "command -v deepseek-fim-ls"], env=env, capture_output=True, check=False
    )
    return probe.returncode != 0 and which.returncode != 0


def test_install_then_typing_gives_ghost_text(
    nvim_version: str, editor_env: dict[str, str], tmp_path: Path, terminal: Tmux
) -> None:
    tmux = terminal
    assert bare_python_lacks_the_server(), "the bare PATH must not already have the server"
    env = {name: value for name, value in editor_env.items() if name != "PATH"}
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA.format(plugin=str(PLUGIN)))
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    return \n")
    # `env` here, not only `-e`: tmux starts a login shell, whose profile sets PATH again.
    nvim = [str(nvim_binary(nvim_version)), "-u", str(init), "-i", "NONE", "-n", str(source)]
    command = shlex.join(["env", f"PATH={BARE_PATH}", *nvim])
    env_args = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    tmux.run("new-session", "-d", "-s", "nvim", "-x", "100", "-y", "20", *env_args, command)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / f"install-nvim-{nvim_version}"

    hint = wait_until(
        lambda: "run :DeepSeekFim install" in tmux.screen() and tmux.screen(),
        what="the hint that the server is not installed",
        show=tmux.screen,
    )
    Path(f"{prefix}-1-hint.txt").write_text(hint)
    tmux.run("send-keys", "-t", "nvim", ":DeepSeekFim install", "Enter")
    started = wait_until(
        lambda: "deepseek-fim install" in tmux.screen() and tmux.screen(),
        what="install progress",
        show=tmux.screen,
    )
    Path(f"{prefix}-2-progress.txt").write_text(started)
    done = wait_until(
        lambda: "deepseek-fim install: done" in tmux.screen() and tmux.screen(),
        timeout=180,
        what="the install to finish",
        show=tmux.screen,
    )
    Path(f"{prefix}-3-done.txt").write_text(done)
    # The plugin starts the installed server for the open buffer: the budget shows up.
    wait_until(
        lambda: re.search(r"DeepSeek \S.* · \d+d", tmux.screen()),
        what="the budget in the statusline",
        show=tmux.screen,
    )
    venv = Path(env["XDG_DATA_HOME"]) / "nvim" / "deepseek-fim" / "venv"
    stamp = json.loads((venv / "deepseek-fim-install.json").read_text())
    assert stamp["repo"] == str(REPO)
    assert stamp["version"].startswith("deepseek-fim-ls ")
    assert (venv / "bin" / "deepseek-fim-ls").exists()

    tmux.run("send-keys", "-t", "nvim", "j", "A")
    screen = wait_until(
        lambda: "    return a + b" in tmux.screen() and tmux.screen(),
        what="ghost text on screen",
        show=tmux.screen,
    )
    Path(f"{prefix}-4-ghost-text.txt").write_text(screen)
    assert "-- INSERT --" in screen
    assert source.read_text() == "def add(a, b):\n    return \n", "ghost text is not in the file"
    tmux.run("send-keys", "-t", "nvim", "Tab")
    wait_until(lambda: "[+]" in tmux.screen(), what="the buffer modified by Tab", show=tmux.screen)
    tmux.run("send-keys", "-t", "nvim", "Escape", ":w", "Enter")
    wait_until(
        lambda: source.read_text() == "def add(a, b):\n    return a + b\n",
        what="the accepted suggestion saved",
    )
    tmux.run("send-keys", "-t", "nvim", ":checkhealth deepseek_fim", "Enter")
    health = wait_until(
        lambda: "installed by :DeepSeekFim install" in tmux.screen() and tmux.screen(),
        what=":checkhealth naming the installed server",
        show=tmux.screen,
    )
    Path(f"{prefix}-5-checkhealth.txt").write_text(health)
    # The usage report with its chart, of the completion just accepted.
    for keys in (":DeepSeekFim usage", ":only", "/Tokens per day"):
        tmux.run("send-keys", "-t", "nvim", keys, "Enter")
    tmux.run("send-keys", "-t", "nvim", "zt")
    usage = wait_until(
        lambda: "Grant used" in tmux.screen() and "▲ today" in tmux.screen() and tmux.screen(),
        what="the usage chart",
        show=tmux.screen,
    )
    Path(f"{prefix}-6-usage-chart.txt").write_text(usage)
    tmux.run("send-keys", "-t", "nvim", ":qa!", "Enter")

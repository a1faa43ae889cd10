"""Fixtures for the Neovim plugin's end-to-end tests: real Neovim (0.11 and 0.12) over pynvim.

Each test gets a fresh `nvim --embed` with the plugin from `clients/neovim`, the real
`deepseek-fim-ls` (from the project venv) and a `FakeDeepSeek` on loopback. Install the editors
with `clients/neovim/scripts/install-nvim.sh`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pynvim  # type: ignore[import-untyped]
import pytest

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "clients" / "neovim"
CACHE = Path(os.environ.get("DEEPSEEK_FIM_CACHE", REPO / ".cache"))
VENV_BIN = REPO / ".venv" / "bin"
FAKE_KEY = "sk-fake-test-key"
VERSIONS = ("0.11", "0.12")
GHOST_NAMESPACES = ("deepseek_fim.ghost", "nvim.lsp.inline_completion")


def nvim_binary(version: str) -> Path:
    return CACHE / f"nvim-{version}" / "bin" / "nvim"


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "condition",
    show: Callable[[], str] | None = None,
) -> Any:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"\n{show()}" if show else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{seen}")
        time.sleep(0.05)


class Editor:
    """A running Neovim with the plugin, and helpers to read what it shows."""

    def __init__(self, nvim: pynvim.Nvim, version: str, fake: FakeDeepSeek) -> None:
        self.nvim = nvim
        self.version = version
        self.fake = fake

    def lua(self, code: str, *args: Any) -> Any:
        return self.nvim.exec_lua(code, *args)

    def open(self, path: Path, lines: list[str]) -> None:
        """Write a file, edit it, and wait until our client is attached to it."""
        path.write_text("\n".join(lines) + "\n")
        self.nvim.command(f"edit {path}")
        wait_until(
            lambda: self.lua(
                "local c = vim.lsp.get_clients({ name = 'deepseek_fim', bufnr = 0 })[1]"
                " return c ~= nil and c.initialized"
            ),
            what="the deepseek_fim client to attach",
        )

    def type(self, keys: str) -> None:
        self.nvim.input(keys)

    def line(self, row: int | None = None) -> str:
        if row is None:
            row = self.nvim.current.window.cursor[0]
        return str(self.nvim.current.buffer[row - 1])

    def ghost(self) -> str | None:
        """The ghost text drawn in the buffer (ours on 0.11, the built-in's on 0.12), or None."""
        namespaces = self.nvim.api.get_namespaces()
        for name in GHOST_NAMESPACES:
            ns = namespaces.get(name)
            if ns is None:
                continue
            marks = self.nvim.api.buf_get_extmarks(0, ns, 0, -1, {"details": True})
            for _, _, _, details in marks:
                first = "".join(chunk[0] for chunk in details.get("virt_text") or [])
                rest = ["".join(c[0] for c in vl) for vl in details.get("virt_lines") or []]
                return "\n".join([first, *rest])
        return None

    def wait_ghost(self, expected: str | None = None, timeout: float = 10.0) -> str:
        def seen() -> str | None:
            text = self.ghost()
            if expected is None:
                return text or None
            return text if text == expected else None

        return str(wait_until(seen, timeout, f"ghost text {expected!r} (now {self.ghost()!r})"))

    def status(self) -> dict[str, Any]:
        """The server's `deepseekFim/status`."""
        result = self.lua(
            "local c = vim.lsp.get_clients({ name = 'deepseek_fim' })[1]"
            " local r = c:request_sync('deepseekFim/status', {}, 5000)"
            " return r and r.result"
        )
        assert isinstance(result, dict)
        return result

    def mode(self) -> str:
        return str(self.nvim.api.get_mode()["mode"])


@pytest.fixture(params=VERSIONS, ids=[f"nvim-{v}" for v in VERSIONS])
def nvim_version(request: pytest.FixtureRequest) -> str:
    version: str = request.param
    if not nvim_binary(version).exists():
        pytest.fail(
            f"{nvim_binary(version)} is missing: run clients/neovim/scripts/install-nvim.sh",
            pytrace=False,
        )
    return version


@pytest.fixture
def completion() -> str:
    """What the fake DeepSeek answers; tests override this fixture or reconfigure the fake."""
    return "a + b"


@pytest.fixture
def fake(completion: str) -> Iterator[FakeDeepSeek]:
    with FakeDeepSeek(completion=completion) as server:
        yield server


@pytest.fixture
def editor_env(
    fake: FakeDeepSeek, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment of Neovim (and so of the server it starts): fake API, isolated state."""
    env = {
        "DEEPSEEK_API_KEY": FAKE_KEY,
        "DEEPSEEK_BASE_URL": fake.url,
        "DEEPSEEK_FIM_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg" / "config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg" / "data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg" / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg" / "cache"),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


SETUP_LUA = """
vim.opt.rtp:prepend(...)
vim.cmd("filetype on")
vim.cmd("runtime plugin/deepseek_fim.lua")
require("deepseek_fim").setup({
  settings = { debounceMs = 0 },
  ghost = { delay_ms = 10 },
})
"""


@pytest.fixture
def editor(
    nvim_version: str, fake: FakeDeepSeek, editor_env: dict[str, str], tmp_path: Path
) -> Iterator[Editor]:
    argv = [
        str(nvim_binary(nvim_version)),
        "--embed",
        "--headless",
        "-u",
        "NONE",
        "-i",
        "NONE",
        "-n",
    ]
    nvim = pynvim.attach("child", argv=argv)
    try:
        nvim.command(f"cd {tmp_path}")
        nvim.exec_lua(SETUP_LUA, str(PLUGIN))
        yield Editor(nvim, nvim_version, fake)
    finally:
        try:
            nvim.exec_lua(
                "for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end"
                " vim.wait(2000, function() return #vim.lsp.get_clients() == 0 end, 20)"
            )
            nvim.command("qa!")
        except (OSError, EOFError, pynvim.NvimError):
            pass
        nvim.close()

"""Type real Python into real Neovim (0.11 and 0.12) with the plugin and the real server; print
how soon and how cheaply ghost text comes.

A region of a file of this repository (sized to take `--seconds` of typing without any accept;
accepts make the run shorter) is removed from a copy of the file, which is opened in
`nvim --embed` (pynvim) with the plugin at its default settings; a seeded typist then types the
region back at a human cadence (short gaps inside words, pauses after newlines, punctuation and
keywords), accepting (Tab) a visible ghost when it is exactly what it is about to type. The fake
DeepSeek API runs in oracle mode: it answers the file's true continuation after `--latency-ms`.

Printed per Neovim version: median time from a pause to visible ghost text (pauses that got one),
% of pauses with a ghost before typing on, requests sent, requests aborted after they were sent
(the fake saw the client disconnect), prompt tokens, cache-hit ratio, tokens per accepted
character, and whether the buffer ended equal to the file. `--naive` adds a row per version with
the server's debounce and the plugin's ghost.delay_ms at 0 (the naive baseline). A benchmark: it
prints numbers and asserts no timing; it exits 1 only if a buffer ended different from
the file (corruption).

Usage: bench_editor_typing.py [--seconds 75 | --minutes N] [--seed 1] [--latency-ms 300]
       [--versions 0.11,0.12] [--file server/deepseek_fim/service.py] [--naive]
Needs DEEPSEEK_FIM_CACHE (the editors) and the project venv (`deepseek-fim-ls`).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pynvim  # type: ignore[import-untyped]

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "clients" / "neovim"
VENV_BIN = REPO / ".venv" / "bin"
CACHE = Path(os.environ.get("DEEPSEEK_FIM_CACHE", REPO / ".cache"))
GHOST_NAMESPACES = ("deepseek_fim.ghost", "nvim.lsp.inline_completion")
KEYWORDS = ("def", "return", "if", "for", "in", "import", "from", "class", "and", "not", "else")
PAUSE_S = 0.25  # a gap at least this long counts as a pause
# Keys nvim.input() reads specially.
KEYS = {"<": "<lt>", "\n": "<CR>", "\\": "<Bslash>"}

SETUP_LUA = """
vim.opt.rtp:prepend(...)
vim.cmd("filetype on")
vim.cmd("runtime plugin/deepseek_fim.lua")
require("deepseek_fim").setup(select(2, ...))
"""


def gap_after(text: str, i: int, rng: random.Random) -> float:
    """Seconds the typist waits after typing text[i] (a seeded human cadence)."""
    char = text[i]
    word_end = i + 1 < len(text) and not (text[i + 1].isalnum() or text[i + 1] == "_")
    if char == "\n":
        return rng.uniform(0.5, 1.6)
    if char in ":,({[=" and word_end:
        return rng.uniform(0.3, 0.9)
    line_start = text.rfind("\n", 0, i) + 1
    if char == " " and not text[line_start:i].strip():
        return rng.uniform(0.02, 0.05)  # indentation: typed in a burst
    if char == " ":
        word = text[:i].rstrip().rsplit(None, 1)[-1] if text[:i].strip() else ""
        if word in KEYWORDS:
            return rng.uniform(0.35, 1.0)
        return rng.uniform(0.08, 0.3) if rng.random() < 0.8 else rng.uniform(0.3, 0.8)
    return rng.uniform(0.04, 0.14)


def pick_region(lines: list[str], start: int, seconds: float, rng: random.Random) -> str:
    """Lines from `start` whose typing takes about `seconds` at the cadence (without accepts)."""
    taken: list[str] = []
    total = 0.0
    for line in lines[start:]:
        taken.append(line)
        text = "\n".join(taken) + "\n"
        total = sum(gap_after(text, i, random.Random(i)) for i in range(len(text)))
        if total >= seconds:
            break
    return "\n".join(taken) + "\n"


@dataclass
class Result:
    label: str
    pauses: int = 0
    ghost_delays: list[float] = field(default_factory=list)
    accepted_chars: int = 0
    accepts: int = 0
    requests: int = 0
    aborted: int = 0
    prompt_tokens: int = 0
    hit_tokens: int = 0
    output_tokens: int = 0
    equal: bool = False
    seconds: float = 0.0


def ghost(nvim: pynvim.Nvim) -> str | None:
    namespaces = nvim.api.get_namespaces()
    for name in GHOST_NAMESPACES:
        ns = namespaces.get(name)
        if ns is None:
            continue
        for _, _, _, details in nvim.api.buf_get_extmarks(0, ns, 0, -1, {"details": True}):
            first = "".join(chunk[0] for chunk in details.get("virt_text") or [])
            rest = ["".join(c[0] for c in vl) for vl in details.get("virt_lines") or []]
            text = "\n".join([first, *rest])
            if text:
                return text
    return None


def run_one(
    version: str,
    label: str,
    settings: dict[str, Any],
    source: str,
    start_line: int,
    region: str,
    latency_ms: float,
    seed: int,
) -> Result:
    lines = source.split("\n")
    before = "\n".join(lines[:start_line]) + "\n"
    after = source[len(before) + len(region) :]
    result = Result(label)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeDeepSeek(oracle_text=source, latency_ms=latency_ms) as fake,
    ):
        env = {
            "DEEPSEEK_API_KEY": "sk-fake-bench-key",
            "DEEPSEEK_BASE_URL": fake.url,
            "DEEPSEEK_FIM_DATA_DIR": f"{tmp}/data",
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "XDG_DATA_HOME": f"{tmp}/xdgdata",
            "XDG_STATE_HOME": f"{tmp}/state",
            "XDG_CACHE_HOME": f"{tmp}/cache",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        os.environ.update(env)
        path = Path(tmp) / "module.py"
        path.write_text(before + after)
        binary = CACHE / f"nvim-{version}" / "bin" / "nvim"
        nvim = pynvim.attach(
            "child", argv=[str(binary), "--embed", "--headless", "-u", "NONE", "-i", "NONE", "-n"]
        )
        try:
            nvim.command(f"cd {tmp}")
            # The typist types indentation itself (no autoindent doubling it).
            nvim.command("set noautoindent nosmartindent")
            nvim.exec_lua(SETUP_LUA, str(PLUGIN), settings)
            nvim.command(f"edit {path}")
            nvim.command("setlocal noautoindent nosmartindent indentexpr=")
            deadline = time.monotonic() + 15
            while not nvim.exec_lua(
                "local c = vim.lsp.get_clients({ name = 'deepseek_fim', bufnr = 0 })[1]"
                " return c ~= nil and c.initialized"
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the deepseek_fim client did not attach")
                time.sleep(0.05)
            nvim.api.win_set_cursor(0, [start_line + 1, 0])
            nvim.input("i")
            rng = random.Random(seed)
            began = time.monotonic()
            i = 0
            while i < len(region):
                shown = ghost(nvim)
                if shown and region.startswith(shown, i):
                    nvim.input("<Tab>")
                    result.accepts += 1
                    result.accepted_chars += len(shown)
                    i += len(shown)
                    time.sleep(0.15)  # the user reads what was accepted
                    continue
                nvim.input(KEYS.get(region[i], region[i]))
                gap = gap_after(region, i, rng)
                i += 1
                if gap < PAUSE_S:
                    time.sleep(gap)
                    continue
                result.pauses += 1
                pause_start = time.monotonic()
                end = pause_start + gap
                while time.monotonic() < end:
                    if ghost(nvim):
                        result.ghost_delays.append(time.monotonic() - pause_start)
                        break
                    time.sleep(0.02)
                time.sleep(max(0.0, end - time.monotonic()))
            result.seconds = time.monotonic() - began
            nvim.input("<Esc>")
            time.sleep(0.5)
            text = "\n".join(nvim.current.buffer[:]) + "\n"
            result.equal = text == source
            if not result.equal:
                Path(tmp, "..", f"bench-editor-{version}-{label}.py").resolve().write_text(text)
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
        for entry in fake.fim_requests():
            result.requests += 1
            if entry.get("disconnected"):
                result.aborted += 1
            usage = entry.get("usage") or {}
            result.prompt_tokens += usage.get("prompt_tokens", 0)
            result.hit_tokens += usage.get("prompt_cache_hit_tokens", 0)
            result.output_tokens += usage.get("completion_tokens", 0)
    return result


def row(version: str, r: Result) -> str:
    median = f"{statistics.median(r.ghost_delays) * 1000:.0f} ms" if r.ghost_delays else "-"
    share = f"{100 * len(r.ghost_delays) / r.pauses:.0f}%" if r.pauses else "-"
    hit = f"{100 * r.hit_tokens / r.prompt_tokens:.0f}%" if r.prompt_tokens else "-"
    tokens = r.prompt_tokens + r.output_tokens
    per_char = f"{tokens / r.accepted_chars:.0f}" if r.accepted_chars else "-"
    per_hour = f"{tokens * 3600 / r.seconds / 1e6:.2f}M" if r.seconds else "-"
    return (
        f"{version:>5} {r.label:<8} {median:>9} {share:>6} {r.pauses:>6} {r.requests:>5} "
        f"{r.aborted:>7} {r.prompt_tokens:>8} {hit:>5} {per_hour:>8} {r.accepts:>7} "
        f"{r.accepted_chars:>8} {per_char:>9} {'yes' if r.equal else 'NO':>6}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=75.0, help="unassisted typing time per version"
    )
    parser.add_argument("--minutes", type=float, help="typing time per version, in minutes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--versions", default="0.11,0.12")
    parser.add_argument("--file", default="server/deepseek_fim/service.py")
    parser.add_argument("--start-line", type=int, help="first line typed (default: seeded)")
    parser.add_argument(
        "--naive", action="store_true", help="add a row with no debounce (naive baseline)"
    )
    args = parser.parse_args()
    seconds = args.minutes * 60 if args.minutes else args.seconds
    source = (REPO / args.file).read_text()
    lines = source.split("\n")
    rng = random.Random(args.seed)
    start = (
        args.start_line
        if args.start_line is not None
        else rng.randrange(len(lines) // 4, len(lines) // 2)
    )
    region = pick_region(lines, start, seconds, rng)
    print(
        f"{args.file} lines {start + 1}-{start + region.count(chr(10))}, {len(region)} chars, "
        f"seed {args.seed}, API latency {args.latency_ms:.0f} ms, pause >= {PAUSE_S * 1000:.0f} ms"
    )
    print(
        f"{'nvim':>5} {'setting':<8} {'to ghost':>9} {'ghost%':>6} {'pauses':>6} {'reqs':>5} "
        f"{'aborted':>7} {'prompt':>8} {'hit':>5} {'tok/h':>8} {'accepts':>7} "
        f"{'acc.chars':>8} {'tok/char':>9} {'equal':>6}"
    )
    variants: list[tuple[str, dict[str, Any]]] = [("default", {})]
    if args.naive:
        # No server debounce, and on 0.11 no plugin delay either (0.12's built-in keeps its own).
        variants.append(("naive", {"settings": {"debounceMs": 0}, "ghost": {"delay_ms": 0}}))
    corrupted = False
    for version in args.versions.split(","):
        for label, settings in variants:
            r = run_one(version, label, settings, source, start, region, args.latency_ms, args.seed)
            print(row(version, r), flush=True)
            corrupted |= not r.equal
    return 1 if corrupted else 0


if __name__ == "__main__":
    sys.exit(main())

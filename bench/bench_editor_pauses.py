"""A typist in real Neovim: how soon ghost text shows at a pause, and what it costs.

Real Neovim (0.11: the plugin's own ghost text; 0.12: the built-in inline completion), the
plugin, the real `deepseek-fim-ls` and the fake DeepSeek API in oracle mode, which answers with
the true continuation of the file (one line at a time, `--oracle-lines`; for 40% of the words
that end an answer, fixed by the seed, that word is wrong, `--oracle-accuracy`) after 300 ms,
and builds its prefix cache 2 s after a prompt was first sent, as DeepSeek does.

What a wrong answer is tied to (`--oracle-errors`): by default the word it gets wrong, whichever
place it is asked from, because the server asks at temperature 0: a model decoding greedily,
asked again after the user typed the start of its answer, answers the rest of the same answer.
`--oracle-errors place` draws anew at every cursor position instead (the table before this
option existed): there, asking again one key later is a fresh chance to be right.

The fake answers like a model at each stop (`--oracle-run-on`, the default): past the oracle's
lines the model writes on to the request's stop or `max_tokens`, all of it is billed (a `block`
request pays for up to 192 tokens) and sent (`--oracle-sends-run-on`, the default), each further
line right or wrong on its own, with the draw a request asked where it starts would get. With
`--no-oracle-sends-run-on` the text sent stays the oracle's lines (the tables before 2026-12-07).

Open beside the file, as a developer has them (`--open-imports N`, default 3): the first N
standard-library modules it imports, from their own paths, so that the server's context from
other files (their signatures at the prompt's head) is paid for as it would be.

A seeded typist retypes regions of real Python (function bodies from the standard library, or
with `--region-set methods` method bodies of long classes, where the text after the cursor runs
on through the class) into the file they were cut from, at a human cadence: 50-290 ms between
keys; pauses of 0.4-1.5 s at 60% of the line ends before Enter, of 0.3-1.6 s after a line
break, often after `:`/`(`/`,`/`=`/brackets and after a keyword and a space, now and then
inside a word, and after accepting a suggestion. Enter types the line break and the next
line's indentation at once, as an auto-indenting editor does. At the end of every pause the
typist looks: when the ghost text is exactly the start of what it was going to type, it presses
Tab; when only its first lines are, it accepts those one at a time with the plugin's accept_line
key (waiting to see each land and the rest shown); otherwise it types on. The buffer must equal
the original file at the end.

Printed per configuration (each on the same regions and cadence, back to back in one run):
- median time from the start of a pause (the last key) to visible ghost text for the place
  (the oracle's answer there, right or wrong, not an older suggestion still on screen), among
  the pauses that got one (p25-p75 beside it);
- the share of pauses with such ghost text on screen when the typist went on;
- FIM requests sent, and aborted after they were sent (the client went away before the answer);
- tokens (cache hit + miss + output, as the fake billed them) per hour of typing, and USD per
  hour at DeepSeek V3.2 list prices (per 1M tokens: hit 0.028, miss 0.28, output 0.42);
- the prompt cache-hit ratio; full-price tokens (miss + output) and all tokens per accepted
  character; the share of the region's characters that came from accepts;
- the pauses apart by kind: at the region's start (before any key), at a line end before
  Enter, after Enter, after an opener or a keyword, after an accept, elsewhere (mostly inside
  a word).
The range across regions is shown in brackets. Configurations: `default` (the plugin's and the
server's defaults), `naive` (a client in editor_pauses.lua that asks at every keystroke and
clears what is shown at every key; the server's debounce is 0) and, with `--previous DIR`,
`previous` (the defaults of another checkout with its own .venv, e.g. `git archive main`);
`prefix512` (the defaults with `prefixTokens` 512) and `nocontext` (the defaults with
`contextTokens` 0: no definitions from the open imports) on request.

Usage: bench_editor_pauses.py [--quick] [--versions 0.12,0.11] [--configs default,naive]
         [--previous DIR]
         [--regions N] [--region-set functions|methods] [--repeat N] [--seed N]
         [--latency-ms 300] [--cache-build-ms 2000] [--oracle-lines 1] [--oracle-accuracy 0.6]
         [--oracle-errors word|place] [--no-oracle-run-on] [--json FILE]
Needs the editors (clients/neovim/scripts/install-nvim.sh; DEEPSEEK_FIM_CACHE says where) and
takes about 2 minutes per configuration and region set (`--quick`: one short region).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import inspect
import json
import keyword
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pynvim  # type: ignore[import-untyped]

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.fake_oracle_files import first_lines, spoil
from deepseek_fim.testing.fake_tokens import count_tokens

REPO = Path(__file__).resolve().parents[1]
LUA_HELPER = Path(__file__).resolve().with_name("editor_pauses.lua")
CACHE = Path(os.environ.get("DEEPSEEK_FIM_CACHE", REPO / ".cache"))
VENV_BIN = Path(sys.executable).parent
FAKE_KEY = "sk-fake-bench-key"
PAUSE_S = 0.3  # a gap at least this long is a pause
KEYWORDS = frozenset(keyword.kwlist)
PAUSE_AFTER = frozenset(":(,=[{")
EOL_PAUSE_SHARE = 0.6  # line ends where the typist stops before pressing Enter
# USD per 1M tokens, DeepSeek V3.2 list prices: cache hit, cache miss, output.
PRICE_HIT, PRICE_MISS, PRICE_OUT = 0.028, 0.28, 0.42
# Today's `deepseek-flash` (V4.1, off-peak; peak hours cost twice this), shown beside them.
TODAY_HIT, TODAY_MISS, TODAY_OUT = 0.003, 0.15, 0.60
PAUSE_KINDS = (
    "region start",
    "line end",
    "after Enter",
    "opener/keyword",
    "after accept",
    "mid-word/other",
)


def pause_place(region: Region, offset: int, after_accept: bool) -> str:
    """The kind of place a pause at `offset` of the region is at (`PAUSE_KINDS`)."""
    if after_accept:
        return "after accept"
    if offset == 0:  # before the first key: VS Code asks for nothing until a key is typed
        return "region start"
    typed = region.text[:offset]
    line = (region.original[: region.start] + typed).rsplit("\n", 1)[-1]
    if not line.strip():
        return "after Enter"
    if offset < len(region.text) and region.text[offset] == "\n":
        return "line end"
    last = line[-1]
    before = line[:-1] if last == " " else line
    if (before and before[-1] in PAUSE_AFTER) or (
        last == " " and before.split() and before.split()[-1] in KEYWORDS
    ):
        return "opener/keyword"
    return "mid-word/other"


# --- what is typed ---


@dataclass(frozen=True)
class Region:
    """A function body cut out of a real module: the typist types `text` back in."""

    name: str
    path: str  # where the file is written, relative to the project
    original: str  # the whole module
    start: int  # offset of the region's first character in `original`
    text: str  # the region, without its last line break

    def file_without(self) -> str:
        """The module with the region replaced by one empty line (where the typist starts)."""
        return self.original[: self.start] + self.original[self.start + len(self.text) :]

    def start_row(self) -> int:
        """1-based row of the empty line."""
        return self.original.count("\n", 0, self.start) + 1


def body_region(module: ModuleType, function: str) -> Region:
    """The statements of `function` after its docstring, as a region of its module."""
    original = Path(inspect.getsourcefile(module) or "").read_text()
    tree = ast.parse(original)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    first = node.body[1] if ast.get_docstring(node) is not None else node.body[0]
    lines = original.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: first.lineno - 1])
    end = sum(len(line) for line in lines[: node.end_lineno])
    text = original[start:end].rstrip("\n")
    name = f"{module.__name__}.{function}"
    return Region(name, f"{module.__name__.replace('.', '_')}.py", original, start, text)


def regions(count: int, quick: bool, kind: str = "functions") -> list[Region]:
    """The regions to type: function bodies, or method bodies of long classes (`methods`: the
    text after the cursor runs on through the class, so the suffix has something to cost)."""
    import fnmatch
    import ipaddress
    import json.encoder
    import pprint
    import statistics as stats_module
    import textwrap

    if kind == "methods":
        chosen = [
            body_region(textwrap, "_fix_sentence_endings"),
            body_region(pprint, "_pprint_counter"),
            body_region(ipaddress, "_parse_hextet"),
        ][:count]
    else:
        chosen = [
            body_region(fnmatch, "filter"),
            body_region(json.encoder, "py_encode_basestring_ascii"),
            body_region(stats_module, "median"),
            body_region(textwrap, "indent"),
        ][:count]
    if quick:
        # The first three lines of the first body; the rest of the body stays in the file.
        first = chosen[0]
        short = "\n".join(first.text.split("\n")[:3])
        chosen = [Region(first.name, first.path, first.original, first.start, short)]
    return chosen


def key_events(text: str) -> list[str]:
    """The text as key presses: a line break with the next line's indentation is one press."""
    events: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\n" or (index == 0 and text[0] == " "):
            end = index + 1 if text[index] == "\n" else index
            while end < len(text) and text[end] == " ":
                end += 1
            events.append(text[index:end])
            index = end
        else:
            events.append(text[index])
            index += 1
    return events


def nvim_keys(event: str) -> str:
    return event.replace("<", "<lt>").replace("\n", "<CR>")


# --- the typist's cadence ---


def _rng(seed: int, region: str, offset: int, what: str) -> random.Random:
    # One generator per place in the text: every configuration sees the same gap at the same
    # place, whatever it accepted before.
    digest = hashlib.sha256(f"{seed}:{region}:{offset}:{what}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def gap_before(seed: int, region: Region, offset: int, after_accept: bool) -> float:
    """Seconds the typist waits before typing the character at `offset` of the region."""
    rng = _rng(seed, region.name, offset, "accept" if after_accept else "key")
    if after_accept:
        return rng.uniform(0.4, 1.2)  # reads what was inserted
    typed = region.text[:offset]
    if offset == 0:
        return 1.0
    previous = typed[-1]
    if region.text[offset] == "\n" and typed[typed.rfind("\n") + 1 :].strip():
        # At the end of a line, before Enter: what comes on the next line? (Most real pauses.)
        eol = _rng(seed, region.name, offset, "eol")
        if eol.random() < EOL_PAUSE_SHARE:
            return eol.uniform(0.4, 1.5)
    if typed.endswith("\n") or (previous == " " and typed.rstrip(" ").endswith("\n")):
        return rng.uniform(0.6, 1.6)  # a new line: what comes next?
    word = typed[:-1].split()[-1] if previous == " " and typed[:-1].split() else ""
    if previous in PAUSE_AFTER and rng.random() < 0.5:
        return rng.uniform(0.35, 1.2)
    if previous == " " and word in KEYWORDS and rng.random() < 0.6:
        return rng.uniform(0.35, 1.0)
    if rng.random() < 0.04:
        return rng.uniform(0.3, 0.9)  # a hesitation inside a word
    return min(0.29, max(0.05, rng.lognormvariate(math.log(0.13), 0.35)))


# --- configurations ---


@dataclass(frozen=True)
class Config:
    """One way of running the editor: Neovim version, plugin options, naive client or not.

    `checkout` is another copy of the project whose plugin and server (its .venv) run instead
    of this one's: the previous behaviour, measured in the same run.
    """

    name: str
    version: str
    plugin: dict[str, Any]
    naive: bool = False
    checkout: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.name} nvim {self.version}"

    @property
    def plugin_dir(self) -> Path:
        return (self.checkout or REPO) / "clients" / "neovim"

    @property
    def server_bin(self) -> Path:
        return self.checkout / ".venv" / "bin" if self.checkout else VENV_BIN


NAIVE = {
    "ghost": {"enabled": False},
    "keymaps": {"accept": False},
    "settings": {"debounceMs": 0},
}


def settings_of(name: str) -> dict[str, Any]:
    """The settings of a `set:key=value;key=value` configuration (values in JSON)."""
    pairs = (item.split("=", 1) for item in name.removeprefix("set:").split(";") if item)
    return {key: json.loads(value) for key, value in pairs}


def configs(versions: list[str], names: list[str], previous: Path | None) -> list[Config]:
    known: dict[str, Callable[[str], Config]] = {
        "default": lambda v: Config("default", v, {}),
        "naive": lambda v: Config("naive", v, NAIVE, naive=True),
        # The defaults with a 512-token prefix window (768 by default): what a smaller window
        # saves per hour of typing.
        "prefix512": lambda v: Config("prefix512", v, {"settings": {"prefixTokens": 512}}),
        # The defaults without context from other files: what that context costs.
        "nocontext": lambda v: Config("nocontext", v, {"settings": {"contextTokens": 0}}),
    }
    if previous is not None:
        known["previous"] = lambda v: Config("previous", v, {}, checkout=previous)
    for name in names:  # `set:contextTokens=500;prefixTokens=512`: the defaults with these settings
        if name.startswith("set:"):
            known[name] = lambda v, name=name: Config(name, v, {"settings": settings_of(name)})
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; known here: {sorted(known)}")
    return [known[name](version) for name in names for version in versions]


# --- one run: a configuration types a region ---


@dataclass
class Pause:
    """What the typist saw at the end of one pause."""

    gap_s: float
    ghost: bool  # any ghost text on screen
    correct: bool  # the ghost text was the start of what the typist was going to type
    latency_ms: float | None  # from the last key to the ghost text for this place, if any
    kind: str = ""  # where it is (PAUSE_KINDS)


@dataclass
class RunResult:
    """One configuration typing one region."""

    config: str
    region: str
    pauses: list[Pause] = field(default_factory=list)
    accepted_chars: int = 0
    accepts: int = 0
    typed_keys: int = 0
    typing_s: float = 0.0
    chars: int = 0  # characters of the region (typed or accepted)
    sent: int = 0
    aborted: int = 0
    hit: int = 0
    miss: int = 0
    out: int = 0
    suffix: int = 0  # prompt tokens of the suffixes: after the prompt, never a cache hit
    buffer_ok: bool = False
    problems: list[str] = field(default_factory=list)
    # The server's reuse counters (`deepseekFim/status`), None when it has none (older server).
    reuse: dict[str, int] | None = None
    # Every FIM request the fake got, in order (in --json): where, what it answered, its usage.
    requests: list[dict[str, Any]] = field(default_factory=list)


SETUP_LUA = """
local plugin, helper, opts = ...
vim.opt.rtp:prepend(plugin)
vim.cmd("filetype on")
vim.o.autoindent = false
vim.o.smartindent = false
vim.o.expandtab = true
-- As in an init.lua: setup() first, then the plugin/ file.
require("deepseek_fim").setup(opts)
vim.cmd("runtime plugin/deepseek_fim.lua")
dofile(helper).install()
"""


@contextmanager
def editor(config: Config, fake: FakeDeepSeek, home: Path) -> Iterator[pynvim.Nvim]:
    env = {
        "DEEPSEEK_API_KEY": FAKE_KEY,
        "DEEPSEEK_BASE_URL": fake.url,
        "DEEPSEEK_FIM_DATA_DIR": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "xdg" / "config"),
        "XDG_DATA_HOME": str(home / "xdg" / "data"),
        "XDG_STATE_HOME": str(home / "xdg" / "state"),
        "XDG_CACHE_HOME": str(home / "xdg" / "cache"),
        "PATH": f"{config.server_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    binary = CACHE / f"nvim-{config.version}" / "bin" / "nvim"
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: run clients/neovim/scripts/install-nvim.sh")
    argv = [str(binary), "--embed", "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    nvim = pynvim.attach("child", argv=argv)
    try:
        nvim.command(f"cd {home}")
        nvim.exec_lua(SETUP_LUA, str(config.plugin_dir), str(LUA_HELPER), config.plugin)
        yield nvim
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            nvim.exec_lua(
                "for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end"
                " vim.wait(2000, function() return #vim.lsp.get_clients() == 0 end, 20)"
            )
            nvim.command("qa!")
        except (OSError, EOFError, pynvim.NvimError):
            pass
        nvim.close()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


def cursor_of(text: str) -> tuple[int, int]:
    """(1-based row, byte column) of the end of `text`."""
    row = text.count("\n") + 1
    return row, len(text[text.rfind("\n") + 1 :].encode())


def oracle_fake(region: Region, args: argparse.Namespace) -> FakeDeepSeek:
    """The fake DeepSeek API answering the region's true continuation (also the VS Code bench's)."""
    return FakeDeepSeek(
        completion="",
        latency_ms=args.latency_ms,
        cache_build_ms=args.cache_build_ms,
        oracle_files=[region.original],
        oracle_lines=args.oracle_lines,
        oracle_accuracy=args.oracle_accuracy,
        oracle_seed=args.seed,
        oracle_errors=args.oracle_errors,
        oracle_run_on=args.oracle_run_on,
        oracle_sends_run_on=args.oracle_run_on and args.oracle_sends_run_on,
    )


def imported_modules(source: str, count: int) -> list[Path]:
    """The files of the first `count` pure-Python modules that `source` imports at top level."""
    import importlib.util

    found: list[Path] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        for name in names:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            origin = spec.origin if spec is not None else None
            if origin and origin.endswith(".py") and Path(origin) not in found:
                found.append(Path(origin))
    return found[:count]


def run_region(config: Config, region: Region, args: argparse.Namespace) -> RunResult:
    result = RunResult(config.label, region.name, chars=len(region.text))
    with (
        tempfile.TemporaryDirectory(prefix="bench-editor-") as tmp,
        oracle_fake(region, args) as fake,
    ):
        home = Path(tmp)
        path = home / region.path
        path.write_text(region.file_without())
        with editor(config, fake, home) as nvim:
            lua = nvim.exec_lua
            for imported in imported_modules(region.original, args.open_imports):
                nvim.command(f"edit {imported}")
            nvim.command(f"edit {path}")
            wait_for(
                lambda: lua(
                    "local c = vim.lsp.get_clients({ name = 'deepseek_fim', bufnr = 0 })[1]"
                    " return c ~= nil and c.initialized"
                ),
                10,
                "the deepseek_fim client",
            )
            if config.naive:
                lua("require('bench_editor_pauses').naive_attach(vim.api.nvim_get_current_buf())")
            before = region.original[: region.start]
            nvim.current.window.cursor = (region.start_row(), 0)
            type_region(nvim, region, before, args, result, naive=config.naive)
            time.sleep(0.3)
            text = lua("return require('bench_editor_pauses').buffer_text()")
            result.buffer_ok = text == region.original
            result.reuse = reuse_counters(lua)
            if not result.buffer_ok:
                result.problems.append("the buffer differs from the original file at the end")
        fim = fake.fim_requests()
    usages = [entry["usage"] for entry in fim if entry.get("usage")]
    result.sent = len(fim)
    result.aborted = sum(1 for entry in fim if entry["disconnected"])
    result.hit = sum(u["prompt_cache_hit_tokens"] for u in usages)
    result.miss = sum(u["prompt_cache_miss_tokens"] for u in usages)
    result.out = sum(u["completion_tokens"] for u in usages)
    result.suffix = sum(
        count_tokens(entry["body"].get("suffix") or "")
        for entry in fim
        if entry.get("usage") and isinstance(entry.get("body"), dict)
    )
    result.requests = [request_record(entry, fim[0]["started"]) for entry in fim]
    return result


def request_record(entry: dict[str, Any], first_started: float) -> dict[str, Any]:
    """One FIM request as the --json file keeps it: seconds into the run, the cursor line, the
    answer (None if the client went away first) and the usage."""
    body = entry["body"] if isinstance(entry.get("body"), dict) else {}
    prompt = str(body.get("prompt") or "")
    return {
        "at_s": round(entry["started"] - first_started, 3),
        "cursor_line": prompt.rsplit("\n", 1)[-1],
        "max_tokens": body.get("max_tokens"),
        "answer": entry["response_text"],
        "aborted": entry["disconnected"],
        "usage": entry["usage"],
    }


# The plugin's default accept_line key (clients/neovim/lua/deepseek_fim/config.lua).
ACCEPT_LINE_KEY = "<M-C-Right>"


def is_answer_here(ghost: str | None, rest: str, oracle_lines: int) -> bool:
    """Whether `ghost` answers this place: it starts with the oracle's first lines here, right
    or wrong (either possibly cut short by the server), not an older suggestion still shown.
    """
    if not ghost:
        return False
    first = first_lines(ghost, oracle_lines)
    right = first_lines(rest, oracle_lines)
    return any(
        unit and (unit.startswith(first) or first.startswith(unit))
        for unit in (right, spoil(right))
    )


def ghost_shown(lua: Any, state_of: str, timeout_s: float = 1.0) -> bool:
    """Wait until a ghost text shows at the cursor (after a partial accept, Neovim 0.12's
    built-in asks again for the rest); False if none within `timeout_s`.
    """
    try:
        wait_for(lambda: isinstance(lua(state_of)["text"], str), timeout_s, "the rest shown")
    except TimeoutError:
        return False
    return True


def ghost_lines(ghost: str) -> list[str]:
    """The ghost's parts as the plugin's accept_line takes them one by one: the rest of the
    cursor line, then each next line with the line break before it.
    """
    parts: list[str] = []
    taken = 0
    while taken < len(ghost):
        remaining = ghost[taken:]
        first = remaining.partition("\n")[0]
        part = first if first else "\n" + remaining[1:].partition("\n")[0]
        parts.append(part)
        taken += len(part)
    return parts


def right_lines(ghost: str, rest: str) -> int:
    """How many of the ghost's lines (`ghost_lines`) are right, the start of `rest`: a typist
    accepts those and types the rest.
    """
    taken, count = "", 0
    for part in ghost_lines(ghost):
        if not part.strip() or not rest.startswith(taken + part):
            break
        taken += part
        count += 1
    return count


def type_region(
    nvim: pynvim.Nvim,
    region: Region,
    before: str,
    args: argparse.Namespace,
    result: RunResult,
    *,
    naive: bool = False,
) -> None:
    """Type the region key by key, looking at the ghost text at every pause."""
    lua = nvim.exec_lua
    state_of = "return require('bench_editor_pauses').state()"
    seed, oracle_lines = args.seed, args.oracle_lines
    nvim.input("i")
    wait_for(lambda: nvim.api.get_mode()["mode"] == "i", 5, "insert mode")
    keys_sent = int(lua(state_of)["keys"])
    started = last_key = time.monotonic()
    offset = 0
    after_accept = False
    while offset < len(region.text):
        rest = region.text[offset:]
        gap = gap_before(seed, region, offset, after_accept)
        time.sleep(max(0.0, last_key + gap - time.monotonic()))
        if gap >= PAUSE_S:
            state = lua(state_of)
            if state["keys"] != keys_sent:
                result.problems.append(f"keys not processed at a pause ({region.name}:{offset})")
            ghost = state["text"] if isinstance(state["text"], str) else None
            correct = bool(ghost) and rest.startswith(ghost or "")
            here = correct or is_answer_here(ghost, rest, oracle_lines)
            latency = max(0.0, (state["since"] - state["last_key"]) / 1e6) if here else None
            kind = pause_place(region, offset, after_accept)
            # Lines of a longer suggestion that are right are accepted line by line (the
            # plugin's accept_line); the naive client accepts all or nothing.
            lines = 0 if correct or naive or not ghost else right_lines(ghost, rest)
            result.pauses.append(Pause(gap, ghost is not None, correct or lines > 0, latency, kind))
            if (correct or lines) and ghost:
                parts = ghost_lines(ghost)[:lines] if lines else [ghost]
                key = ACCEPT_LINE_KEY if lines else "<Tab>"
                landed = True
                for index, part in enumerate(parts, 1):  # a key at a time, each seen to land
                    nvim.input(key)
                    keys_sent += 1
                    last_key = time.monotonic()
                    offset += len(part)
                    expected = cursor_of(before + region.text[:offset])
                    try:
                        wait_for(
                            lambda expected=expected: (lambda s: (s["row"], s["col"]) == expected)(
                                lua(state_of)
                            ),
                            2,
                            "the accepted text",
                        )
                    except TimeoutError:
                        result.problems.append(f"accept did not land ({region.name}:{offset})")
                        landed = False
                        break
                    result.accepted_chars += len(part)
                    if index < len(parts) and not ghost_shown(lua, state_of):
                        break  # the rest is not shown (yet): typed by hand
                if not landed:
                    break
                result.accepts += 1
                after_accept = True
                continue
        event = key_events(rest)[0]
        nvim.input(nvim_keys(event))
        keys_sent += len(event)
        last_key = time.monotonic()
        result.typed_keys += 1
        offset += len(event)
        after_accept = False
    result.typing_s = last_key - started


# --- the table ---


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Summary:
    """One configuration over all its runs: the issue's figures."""

    label: str
    latency_ms: float | None
    latency_iqr: tuple[float, float] | None
    ghost_share: float
    pauses: int
    sent: int
    aborted: int
    tokens_per_hour: float
    cache_hit: float
    tokens_per_accepted_char: float | None
    accepts: int
    accepted_chars: int
    typed_keys: int
    tokens: int
    buffers_ok: int
    runs: int
    per_region: dict[str, dict[str, float | None]]
    reuse: str = "-"
    usd_per_hour: float = 0.0
    full_price_per_accepted_char: float | None = None
    accepted_share: float = 0.0
    kinds: dict[str, tuple[int, float, float | None]] = field(default_factory=dict)
    overall: dict[str, float | None] = field(default_factory=dict)


def figures(runs: list[RunResult]) -> dict[str, float | None]:
    pauses = [p for r in runs for p in r.pauses]
    latencies = [p.latency_ms for p in pauses if p.latency_ms is not None]
    tokens = sum(r.hit + r.miss + r.out for r in runs)
    prompt = sum(r.hit + r.miss for r in runs)
    hours = sum(r.typing_s for r in runs) / 3600
    accepted = sum(r.accepted_chars for r in runs)
    usd = sum(r.hit * PRICE_HIT + r.miss * PRICE_MISS + r.out * PRICE_OUT for r in runs) / 1e6
    full_price = sum(r.miss + r.out for r in runs)
    chars = sum(r.chars for r in runs)
    return {
        "latency_ms": statistics.median(latencies) if latencies else None,
        "ghost_share": (len(latencies) / len(pauses)) if pauses else 0.0,
        "sent": float(sum(r.sent for r in runs)),
        "aborted": float(sum(r.aborted for r in runs)),
        "tokens_per_hour": tokens / hours if hours else 0.0,
        "cache_hit": sum(r.hit for r in runs) / prompt if prompt else 0.0,
        "tokens_per_accepted_char": tokens / accepted if accepted else None,
        "usd_per_hour": usd / hours if hours else 0.0,
        "full_price_per_accepted_char": full_price / accepted if accepted else None,
        "accepted_share": accepted / chars if chars else 0.0,
        "requests_per_hour": sum(r.sent for r in runs) / hours if hours else 0.0,
        "usd_today_per_hour": sum(
            r.hit * TODAY_HIT + r.miss * TODAY_MISS + r.out * TODAY_OUT for r in runs
        )
        / 1e6
        / hours
        if hours
        else 0.0,
        # Whatever the typist's speed: what the code written (typed or accepted) cost.
        "usd_per_1000_chars": usd / chars * 1000 if chars else 0.0,
        "usd_hit_per_hour": sum(r.hit for r in runs) * PRICE_HIT / 1e6 / hours if hours else 0.0,
        "usd_miss_per_hour": sum(r.miss for r in runs) * PRICE_MISS / 1e6 / hours if hours else 0.0,
        "usd_out_per_hour": sum(r.out for r in runs) * PRICE_OUT / 1e6 / hours if hours else 0.0,
    }


def by_kind(runs: list[RunResult]) -> dict[str, tuple[int, float, float | None]]:
    """Per kind of pause: how many, the share with a ghost for the place, the median latency."""
    out: dict[str, tuple[int, float, float | None]] = {}
    for kind in PAUSE_KINDS:
        pauses = [p for r in runs for p in r.pauses if p.kind == kind]
        if not pauses:
            continue
        latencies = [p.latency_ms for p in pauses if p.latency_ms is not None]
        out[kind] = (
            len(pauses),
            len(latencies) / len(pauses),
            statistics.median(latencies) if latencies else None,
        )
    return out


REUSE_COUNTERS = ("reusedPending", "lruHits", "continued", "prefetched", "prefetchUsed")

STATUS_LUA = """
local client = vim.lsp.get_clients({ name = 'deepseek_fim', bufnr = 0 })[1]
local answer = client and client:request_sync('deepseekFim/status', {}, 5000, 0)
return answer and answer.result and answer.result.session or vim.NIL
"""


def reuse_counters(lua: Callable[..., Any]) -> dict[str, int] | None:
    """What the server answered without a new request (none from an older server)."""
    session = lua(STATUS_LUA)
    if not isinstance(session, dict) or "lruHits" not in session:
        return None
    return {name: int(session.get(name, 0)) for name in REUSE_COUNTERS}


def reuse_text(runs: list[RunResult]) -> str:
    counted = [r.reuse for r in runs if r.reuse is not None]
    if not counted:
        return "-"
    total = {name: sum(c[name] for c in counted) for name in REUSE_COUNTERS}
    return "{reusedPending} / {lruHits} / {continued} / {prefetchUsed} of {prefetched}".format(
        **total
    )


def summarize(label: str, runs: list[RunResult]) -> Summary:
    overall = figures(runs)
    latencies = [p.latency_ms for r in runs for p in r.pauses if p.latency_ms is not None]
    by_region: dict[str, list[RunResult]] = {}
    for run in runs:
        by_region.setdefault(run.region, []).append(run)
    return Summary(
        label=label,
        latency_ms=overall["latency_ms"],
        latency_iqr=(percentile(latencies, 0.25), percentile(latencies, 0.75))
        if latencies
        else None,
        ghost_share=overall["ghost_share"] or 0.0,
        pauses=sum(len(r.pauses) for r in runs),
        sent=sum(r.sent for r in runs),
        aborted=sum(r.aborted for r in runs),
        tokens_per_hour=overall["tokens_per_hour"] or 0.0,
        cache_hit=overall["cache_hit"] or 0.0,
        tokens_per_accepted_char=overall["tokens_per_accepted_char"],
        accepts=sum(r.accepts for r in runs),
        accepted_chars=sum(r.accepted_chars for r in runs),
        typed_keys=sum(r.typed_keys for r in runs),
        tokens=sum(r.hit + r.miss + r.out for r in runs),
        buffers_ok=sum(1 for r in runs if r.buffer_ok),
        runs=len(runs),
        per_region={name: figures(group) for name, group in by_region.items()},
        reuse=reuse_text(runs),
        usd_per_hour=overall["usd_per_hour"] or 0.0,
        full_price_per_accepted_char=overall["full_price_per_accepted_char"],
        accepted_share=overall["accepted_share"] or 0.0,
        kinds=by_kind(runs),
        overall=overall,
    )


def spread(summary: Summary, key: str, fmt: Callable[[float], str]) -> str:
    values = [v[key] for v in summary.per_region.values() if v[key] is not None]
    if len(values) < 2:
        return ""
    return f" [{fmt(min(values))}-{fmt(max(values))}]"  # type: ignore[type-var]


def print_table(summaries: list[Summary]) -> None:
    def ms(v: float) -> str:
        return f"{v:.0f}"

    def pct(v: float) -> str:
        return f"{100 * v:.0f}%"

    def mil(v: float) -> str:
        return f"{v / 1e6:.2f}M"

    def one(v: float) -> str:
        return f"{v:.0f}"

    def usd(v: float) -> str:
        return f"{v:.3f}"

    def kind_row(kind: str) -> Callable[[Summary], str]:
        def render(s: Summary) -> str:
            if kind not in s.kinds:
                return "-"
            count, share, latency = s.kinds[kind]
            return f"{ms(latency) if latency is not None else '-'} ms, {pct(share)} of {count}"

        return render

    rows: list[tuple[str, Callable[[Summary], str]]] = [
        (
            "median pause to visible ghost, ms (p25-p75)",
            lambda s: (
                (
                    f"{ms(s.latency_ms)} ({ms(s.latency_iqr[0])}-{ms(s.latency_iqr[1])})"
                    if s.latency_ms is not None and s.latency_iqr
                    else "-"
                )
                + spread(s, "latency_ms", ms)
            ),
        ),
        (
            "pauses with a ghost before typing on",
            lambda s: f"{pct(s.ghost_share)} of {s.pauses}" + spread(s, "ghost_share", pct),
        ),
        ("requests aborted after sent", lambda s: f"{s.aborted} of {s.sent}"),
        (
            "tokens per hour of typing",
            lambda s: mil(s.tokens_per_hour) + spread(s, "tokens_per_hour", mil),
        ),
        (
            "USD per hour of typing (V3.2 prices)",
            lambda s: f"{s.usd_per_hour:.3f}" + spread(s, "usd_per_hour", usd),
        ),
        (
            "  of which hits / misses / output",
            lambda s: " / ".join(
                usd(s.overall.get(key) or 0.0)
                for key in ("usd_hit_per_hour", "usd_miss_per_hour", "usd_out_per_hour")
            ),
        ),
        (
            "USD per hour at deepseek-flash V4.1 off-peak prices",
            lambda s: usd(s.overall.get("usd_today_per_hour") or 0.0),
        ),
        (
            "USD per 1,000 characters of code written (V3.2 prices)",
            lambda s: f"{s.overall.get('usd_per_1000_chars') or 0.0:.4f}",
        ),
        ("requests sent per hour", lambda s: one(s.overall.get("requests_per_hour") or 0.0)),
        ("prompt cache-hit ratio", lambda s: pct(s.cache_hit) + spread(s, "cache_hit", pct)),
        (
            "full-price tokens (miss + output) per accepted char",
            lambda s: (
                (
                    f"{s.full_price_per_accepted_char:.1f}"
                    if s.full_price_per_accepted_char is not None
                    else "-"
                )
                + spread(s, "full_price_per_accepted_char", one)
            ),
        ),
        (
            "characters from accepts",
            lambda s: pct(s.accepted_share) + spread(s, "accepted_share", pct),
        ),
        (
            "tokens per accepted character",
            lambda s: (
                (one(s.tokens_per_accepted_char) if s.tokens_per_accepted_char is not None else "-")
                + spread(s, "tokens_per_accepted_char", one)
            ),
        ),
        (
            "accepts / chars accepted / keys typed",
            lambda s: f"{s.accepts} / {s.accepted_chars} / {s.typed_keys}",
        ),
        ("buffers equal to the file at the end", lambda s: f"{s.buffers_ok} of {s.runs}"),
        *((f"{kind}: median to ghost, share with one", kind_row(kind)) for kind in PAUSE_KINDS),
        (
            "answered by: in flight / recent answer / run-on / prefetch (used of sent)",
            lambda s: s.reuse,
        ),
    ]
    width = max(len(r[0]) for r in rows)
    cells = [[render(s) for s in summaries] for _, render in rows]
    col = [max(len(s.label), *(len(c[i]) for c in cells)) for i, s in enumerate(summaries)]
    print(
        " | ".join([" " * width, *(s.label.ljust(w) for s, w in zip(summaries, col, strict=True))])
    )
    print("-" * (width + sum(w + 3 for w in col)))
    for (title, _), row in zip(rows, cells, strict=True):
        print(
            " | ".join([title.ljust(width), *(c.ljust(w) for c, w in zip(row, col, strict=True))])
        )


def add_typist_arguments(parser: argparse.ArgumentParser) -> None:
    """The typist's seed and the oracle fake's options (also the VS Code bench's)."""
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument(
        "--region-set",
        choices=("functions", "methods"),
        default="functions",
        help="function bodies from the standard library, or method bodies of long classes",
    )
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=300)
    parser.add_argument("--cache-build-ms", type=float, default=2000)
    parser.add_argument("--oracle-lines", type=int, default=1)
    parser.add_argument("--oracle-accuracy", type=float, default=0.6)
    parser.add_argument(
        "--oracle-run-on",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="answer like a model: past the oracle's lines on to the suffix, the request's stop"
        " or max_tokens (default); --no-oracle-run-on: the oracle's lines only",
    )
    parser.add_argument(
        "--oracle-sends-run-on",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send the run-on too, as a model does, each further line right or wrong on its own"
        " (default); --no-oracle-sends-run-on: billed, not sent (only the oracle's lines reach"
        " the editor)",
    )
    parser.add_argument(
        "--oracle-errors",
        choices=("word", "place"),
        default="word",
        help="what a wrong answer is fixed to: the word it gets wrong (a greedy model, as at"
        " temperature 0), or the cursor place (asked again, it may be right)",
    )


def describe_typist(args: argparse.Namespace) -> str:
    """The seed and the oracle fake's options, as the table's heading says them."""
    return (
        f"seed {args.seed}, API latency {args.latency_ms:.0f} ms, cache built after "
        f"{args.cache_build_ms:.0f} ms, oracle {args.oracle_lines or 'all'} line(s) at a time, "
        f"right at {args.oracle_accuracy:.0%} (errors per {args.oracle_errors})"
        + (", running on to the stop or max_tokens" if args.oracle_run_on else "")
        + (" (sent)" if args.oracle_run_on and args.oracle_sends_run_on else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short region (smoke run)")
    parser.add_argument("--versions", default="0.12,0.11")
    parser.add_argument("--configs", default=None, help="default: [previous,]default,naive")
    parser.add_argument(
        "--previous",
        type=Path,
        help="a checkout of the previous version, with its own .venv (./scripts/setup)",
    )
    parser.add_argument("--repeat", type=int, default=1)
    add_typist_arguments(parser)
    parser.add_argument(
        "--open-imports",
        type=int,
        default=3,
        help="modules the typed file imports, open in buffers beside it (0: the file alone)",
    )
    parser.add_argument("--json", help="write every run's figures to this file")
    args = parser.parse_args()
    names = args.configs or ("previous," if args.previous else "") + "default,naive"
    chosen = configs(args.versions.split(","), names.split(","), args.previous)
    todo = regions(args.regions, args.quick, args.region_set)
    runs: dict[str, list[RunResult]] = {c.label: [] for c in chosen}
    # Interleaved: each region is typed by every configuration before the next region, so
    # that the load of this shared machine falls on all of them alike.
    for repeat in range(args.repeat):
        for region in todo:
            for config in chosen:
                started = time.monotonic()
                result = run_region(config, region, args)
                runs[config.label].append(result)
                print(
                    f"# {config.label} {region.name} (pass {repeat + 1}): "
                    f"{len(result.pauses)} pauses, {result.sent} sent, "
                    f"{result.accepted_chars} chars accepted, buffer "
                    f"{'ok' if result.buffer_ok else 'WRONG'}, "
                    f"{time.monotonic() - started:.0f} s"
                    + (f"; {'; '.join(result.problems)}" if result.problems else ""),
                    flush=True,
                )
    summaries = [summarize(label, group) for label, group in runs.items()]
    print()
    print(
        f"{len(todo)} region(s) x {args.repeat} pass(es), {describe_typist(args)}; "
        "[min-max across regions]"
    )
    print_table(summaries)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "summaries": [asdict(s) for s in summaries],
                    "runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
                },
                indent=1,
            )
        )
    if any(not r.buffer_ok for group in runs.values() for r in group):
        sys.exit("a buffer did not end equal to the original file")


if __name__ == "__main__":
    main()

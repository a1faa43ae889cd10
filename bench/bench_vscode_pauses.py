"""A typist in real VS Code (code-server): how soon ghost text shows at a pause, and what it costs.

The same typist, regions, cadence and fake as bench/bench_editor_pauses.py (Neovim), in VS Code:
code-server with the extension's .vsix, driven by headless chromium (playwright-core) from
clients/vscode/bench/type_region.mjs, the real `deepseek-fim-ls`, and the fake DeepSeek API in
oracle mode (the true continuation one line at a time, with a wrong last word for 40% of the
words, after 300 ms; a prefix cache built 2 s after a prompt was first sent; what the model
writes on to the stop is sent too). The typist presses Tab when the ghost text is exactly the
start of what it was going to type; when only its first lines are, it accepts those one at a
time with the extension's Ctrl+Alt+Right (VS Code's Accept Next Line: a line with its line
break). The saved file must equal the original.

Printed: the rows of bench_editor_pauses.py (median pause to visible ghost, pauses with a ghost,
requests sent/aborted, tokens and USD per hour, cache-hit ratio, full-price and all tokens per
accepted character, characters from accepts, whether the file ended equal to the original, the
pause kinds apart: region start before any key, line end before Enter, after Enter,
opener/keyword, after accept, other),
then where the time before a request goes: from a key
to the fake receiving the request it caused, at places where the server does not wait (line
start, after an opener or a keyword, after an accept) and elsewhere, mostly in the middle of a
word (the server waits there: `debounceMs`, or what the user's cadence says, pauses.py and
cadence.py). At the first kind of place what remains is VS Code's own inline-suggest
debounce (50 ms in VS Code 1.100, fixed: a stable extension cannot change it) plus the trip
through the extension host and the server.

The modules the typed file imports (the first 3, `--project-imports N`) are written into the
workspace as files of the project, not opened: the server reads their outlines from disk
(`contextFromDisk`), so the context from other files is paid for as it would be.

Configurations: `default` (the extension's defaults), `debounce0` (`deepseekFim.debounceMs` 0:
only VS Code's own delay applies anywhere), `nocontext` (`deepseekFim.contextTokens` 0: what
the context from other files costs), `previous` (the defaults, with another build of the
extension: `--previous-vsix FILE`, e.g. built from main, and with `--previous DIR` the server of
that checkout's .venv).

Usage: bench_vscode_pauses.py [--quick] [--configs previous,default,debounce0,nocontext]
         [--regions N] [--project-imports N]
         [--region-set functions|methods] [--no-oracle-run-on]
         [--previous-vsix FILE] [--previous DIR] [--oracle-errors word|place]
         [--seed N] [--latency-ms 300] [--cache-build-ms 2000] [--oracle-lines 1]
         [--oracle-accuracy 0.6] [--json FILE]
Needs code-server, chromium and the extension's npm packages (clients/vscode/scripts/
install-code-server.sh; DEEPSEEK_FIM_CACHE says where) and the .vsix (`npm run package` in
clients/vscode). About 15 s of setup per run plus the typing: `--quick` (three lines) about 30 s,
the three default regions about 4 minutes per configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deepseek_fim.pauses import pause_kind
from deepseek_fim.testing.fake_oracle_files import first_lines, spoil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_editor_pauses import (
    PAUSE_S,
    Pause,
    Region,
    RunResult,
    add_typist_arguments,
    describe_typist,
    gap_before,
    imported_modules,
    key_events,
    oracle_fake,
    pause_place,
    print_table,
    regions,
    summarize,
)

REPO = Path(__file__).resolve().parents[1]
EXT_DIR = REPO / "clients" / "vscode"
TYPIST = EXT_DIR / "bench" / "type_region.mjs"
VSIX = EXT_DIR / "dist" / "deepseek-fim.vsix"
FAKE_KEY = "sk-fake-bench-key-vscode"
VENV_BIN = Path(sys.executable).parent

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "debounce0": {"deepseekFim.debounceMs": 0},
    "previous": {},  # the defaults, with the extension of --previous-vsix
    "nocontext": {"deepseekFim.contextTokens": 0},  # no definitions from the project's files
}


@dataclass
class Waits:
    """Seconds from a key to the fake receiving the request it caused, by kind of place."""

    no_wait: list[float]  # the server sends at once (line start or end, opener, keyword, accept)
    mid_word: list[float]  # anywhere else (mostly inside a word): the server waits there


def plan_for(
    region: Region,
    args: argparse.Namespace,
    fake_url: str,
    settings: dict[str, Any],
    server_bin: Path = VENV_BIN,
) -> dict[str, Any]:
    """Everything the typist in the browser needs, computed here with the Neovim bench's code."""
    text = region.text
    return {
        "name": region.name,
        "fakeUrl": fake_url,
        "apiKey": FAKE_KEY,
        "serverCommand": str(server_bin / "deepseek-fim-ls"),
        "fileName": region.path,
        "fileText": region.file_without(),
        # The modules it imports, as files of the project (not opened: read from disk).
        "projectFiles": {
            project_name(module): module.read_text(encoding="utf-8")
            for module in imported_modules(region.original, args.project_imports)
        },
        "startLine": region.start_row(),
        "before": region.original[: region.start],
        "text": text,
        "events": [key_events(text[offset:])[0] for offset in range(len(text))],
        "gapKey": [gap_before(args.seed, region, offset, False) for offset in range(len(text))],
        "gapAccept": [gap_before(args.seed, region, offset, True) for offset in range(len(text))],
        "right": [first_lines(text[offset:], args.oracle_lines) for offset in range(len(text))],
        "wrong": [
            spoil(first_lines(text[offset:], args.oracle_lines)) for offset in range(len(text))
        ],
        "oracleLines": args.oracle_lines,
        "pauseS": PAUSE_S,
        "settings": settings,
        "artifacts": str(REPO / "artifacts" / "bench-vscode"),
    }


def project_name(module: Path) -> str:
    """A standard-library module's path relative to the library (``re/__init__.py``)."""
    return module.name if module.name != "__init__.py" else f"{module.parent.name}/__init__.py"


def run_region(config: str, region: Region, args: argparse.Namespace, waits: Waits) -> RunResult:
    result = RunResult(f"{config} vscode", region.name, chars=len(region.text))
    with (
        tempfile.TemporaryDirectory(prefix="bench-vscode-") as tmp,
        oracle_fake(region, args) as fake,
    ):
        plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
        previous = config == "previous"
        server_bin = args.previous / ".venv" / "bin" if previous and args.previous else VENV_BIN
        plan = plan_for(region, args, fake.url, CONFIGS[config], server_bin)
        plan_path.write_text(json.dumps(plan))
        vsix = args.previous_vsix if previous else VSIX
        subprocess.run(
            ["node", str(TYPIST), str(plan_path), str(result_path)],
            cwd=EXT_DIR,
            check=True,
            env={**os.environ, "DEEPSEEK_FIM_VSIX": str(vsix)},
        )
        typed = json.loads(result_path.read_text())
        artifacts = REPO / "artifacts" / "bench-vscode"
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / f"{config}-{region.name}.json").write_text(json.dumps(typed, indent=1))
        fim = fake.fim_requests()
    accepted_at = {k["offset"]: k["accept"] for k in typed["keys"]}  # the key that got there
    result.pauses = [
        Pause(
            p["gap_s"],
            p["ghost"],
            p["correct"],
            p["latency_ms"],
            pause_place(region, p["offset"], accepted_at.get(p["offset"], False)),
        )
        for p in typed["pauses"]
    ]
    result.accepts = typed["accepts"]
    result.accepted_chars = typed["accepted_chars"]
    result.typed_keys = typed["typed_keys"]
    result.typing_s = typed["typing_s"]
    result.problems = list(typed["problems"])
    result.buffer_ok = typed["saved"] == region.original
    if not result.buffer_ok:
        result.problems.append(
            "the saved file differs from the original file: "
            + first_difference(typed["saved"] or "", region.original)
        )
    usages = [entry["usage"] for entry in fim if entry.get("usage")]
    result.sent = len(fim)
    result.aborted = sum(1 for entry in fim if entry["disconnected"])
    result.hit = sum(u["prompt_cache_hit_tokens"] for u in usages)
    result.miss = sum(u["prompt_cache_miss_tokens"] for u in usages)
    result.out = sum(u["completion_tokens"] for u in usages)
    collect_waits(region, typed, fim, waits)
    return result


def first_difference(saved: str, original: str) -> str:
    """Where `saved` first differs from `original`, with a little context, for the report."""
    at = next((i for i, (a, b) in enumerate(zip(saved, original, strict=False)) if a != b), None)
    if at is None:
        at = min(len(saved), len(original))
    start = max(0, at - 20)
    return f"at {at}: saved {saved[start : at + 40]!r}, original {original[start : at + 40]!r}"


def collect_waits(
    region: Region, typed: dict[str, Any], fim: list[dict[str, Any]], waits: Waits
) -> None:
    """File each request under the place of the key before it, with the time since that key."""
    keys = [(k["t"], k["offset"], k["accept"]) for k in typed["keys"]]
    for entry in fim:
        before = [k for k in keys if k[0] <= entry["started"]]
        if not before:
            continue
        at, offset, accept = before[-1]
        text = region.original[: region.start] + region.text[:offset]
        line_prefix = text[text.rfind("\n") + 1 :]
        # The typist always types at the end of its line: nothing follows the cursor there.
        kind = "accept" if accept else pause_kind(line_prefix, "")
        (waits.mid_word if kind == "other" else waits.no_wait).append(entry["started"] - at)


def describe(values: list[float]) -> str:
    if not values:
        return "-"
    ms = sorted(v * 1000 for v in values)
    q = statistics.quantiles(ms, n=4) if len(ms) > 1 else [ms[0]] * 3
    return f"{statistics.median(ms):.0f} ({q[0]:.0f}-{q[2]:.0f}), {len(ms)} requests"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="three lines of one region (smoke run)"
    )
    parser.add_argument("--configs", default="default")
    add_typist_arguments(parser)
    parser.add_argument(
        "--previous-vsix",
        type=Path,
        help="another build of the extension (e.g. from main), run as the `previous` configuration",
    )
    parser.add_argument(
        "--previous",
        type=Path,
        help="a checkout of the previous version with its own .venv, whose server the `previous`"
        " configuration runs (default: this one's)",
    )
    parser.add_argument(
        "--project-imports",
        type=int,
        default=3,
        help="modules the typed file imports, written into the workspace (0: the file alone)",
    )
    parser.add_argument("--json", help="write every run's figures to this file")
    args = parser.parse_args()
    names = args.configs.split(",")
    if "previous" in names and args.previous_vsix is None:
        raise SystemExit("the previous configuration needs --previous-vsix")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; known: {sorted(CONFIGS)}")
    if not VSIX.exists():
        raise SystemExit(f"{VSIX} is missing: run `npm run package` in {EXT_DIR}")
    todo = regions(args.regions, args.quick, args.region_set)
    runs: dict[str, list[RunResult]] = {f"{n} vscode": [] for n in names}
    waits = {f"{n} vscode": Waits([], []) for n in names}
    for region in todo:
        for name in names:
            label = f"{name} vscode"
            started = time.monotonic()
            result = run_region(name, region, args, waits[label])
            runs[label].append(result)
            print(
                f"# {label} {region.name}: {len(result.pauses)} pauses, {result.sent} sent, "
                f"{result.accepted_chars} chars accepted, file "
                f"{'ok' if result.buffer_ok else 'WRONG'}, {time.monotonic() - started:.0f} s"
                + (f"; {'; '.join(result.problems)}" if result.problems else ""),
                flush=True,
            )
    summaries = [summarize(label, group) for label, group in runs.items()]
    print()
    print(
        f"VS Code (code-server) {len(todo)} region(s), {describe_typist(args)}; "
        "[min-max across regions]"
    )
    print_table(summaries)
    print()
    print("from a key to the fake receiving the request it caused, ms: median (p25-p75)")
    for label, w in waits.items():
        print(f"  {label}: where the server sends at once {describe(w.no_wait)}")
        print(f"  {label}: elsewhere, mostly mid-word (the server waits) {describe(w.mid_word)}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "summaries": [asdict(s) for s in summaries],
                    "runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
                    "waits": {k: asdict(w) for k, w in waits.items()},
                },
                indent=1,
            )
        )
    if any(not r.buffer_ok for group in runs.values() for r in group):
        sys.exit("a file did not end equal to the original")


if __name__ == "__main__":
    main()

"""Cross-file context: are the definitions a line needs from other open files in the prompt?

Measured model-free on real multi-file projects this repository did not write, in Python (the
venv's site-packages: httpx, pygls, lsprotocol, cattrs, attrs, hypothesis, ...), Lua (the Neovim
runtime's ``lua`` folder) and TypeScript (rxjs and @tanstack/query-core, which ship their ``.ts``
sources; installed with npm into ``.cache/bench-sources`` on first use).

A case (see ``cross_file_cases.py``) opens a file, the files it imports and two other files of its
directory in a ``DocumentStore``, puts the cursor at the start of a line whose text is cut (what
the user is about to type), and lists the names that line uses which are defined in another open
file and appear nowhere in the cursor's own windows. A needed definition is *found* when its first
source line (stripped, cut to 60 characters) is a substring of the prompt's context part: the
lines before the file's own ``Path:`` header. Ground truth comes from ``ast`` (Python), the
TypeScript compiler API (``cross_file_ts_defs.js``) and a Lua definition finder of the benchmark's
own, never from the server's outline code.

Stability: from a seeded line of each file, the cursor moves down 10-20 lines one at a time, a
character typed at the end of each line (the document edited, the builder told); the share of
consecutive requests whose context part is byte-identical (DeepSeek's prefix cache).

Configurations, all in one run:
- before, files only opened: the server before issue 17 (commit 926deeb) put nothing from other
  buffers in the prompt until a completion had been asked in them;
- before, after a completion in every open file: its snippet block (copied here from that
  commit's ``context.py``): the heads (40 lines) of the two open files a completion was asked in
  last (a seeded order), under 400 tokens, as ``CompletionService._snippets_for`` chose them;
- after at contextTokens 400 / 800 / 1200: ``PromptBuilder.build``, its workspace root the
  project's folder (site-packages for a Python package, the runtime folder for Neovim's Lua, the
  npm package's folder for TypeScript), as an editor opened on the project would give it.

"all" pools the needed definitions of every language; context tokens are a mean per case.

Run:  .venv/bin/python bench/bench_cross_file.py [--quick] [--json PATH] [--seed N]
      [--allow-missing] [--sources-dir DIR] [--cases N] [--languages python,lua,typescript]
Exits non-zero when a language's sources are missing (unless --allow-missing) or the server has no
``PromptBuilder``; the goal (>= 60% overall and >= 45% per language at 800 tokens, byte-identical
>= 90%) is printed, not enforced.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cross_file_cases import (
    LUA_STOP,
    PY_STOP,
    TS_STOP,
    FileFacts,
    FileSet,
    Language,
    Project,
    file_sets,
    lua_facts,
    lua_resolver,
    python_facts,
    python_resolver,
    take_round_robin,
    typescript_facts,
    typescript_resolver,
)
from deepseek_fim.documents import Document, DocumentStore, Position
from deepseek_fim.languages import comment_line
from deepseek_fim.tokens import estimate_line_tokens

try:
    from deepseek_fim.sources.prompt_builder import PromptBuilder
except ImportError:  # a server from before issue 17: only the "before" rows can be measured
    HAVE_BUILDER = False
else:
    HAVE_BUILDER = True

REPO = Path(__file__).resolve().parent.parent
HELPER = Path(__file__).resolve().parent / "cross_file_ts_defs.js"
PYTHON_PROJECTS = (
    "httpx",
    "httpcore",
    "h11",
    "pygls",
    "lsprotocol",
    "cattrs",
    "attr",
    "hypothesis",
    "platformdirs",
    "pytest_lsp",
    "anyio",
    "click",
    "pluggy",
    "packaging",
    "_pytest",
)
# npm package -> (pinned version, the folder of its TypeScript sources)
TS_PACKAGES = {"rxjs": ("7.8.2", "src"), "@tanstack/query-core": ("5.108.4", "src")}
TYPESCRIPT_VERSION = "5.9.3"
PREFIX_TOKENS = 768
SUFFIX_TOKENS = 256
BUDGETS = (400, 800, 1200)
SNIPPET_BUFFERS = 2  # CompletionService before issue 17 (commit 926deeb)
SNIPPET_LINES = 40
SNIPPET_TOKENS = 400
GOAL_BUDGET = 800
GOAL_ALL = 0.60
GOAL_EACH = 0.45
GOAL_IDENTICAL = 0.90
LANGUAGE_NAMES = {"python": "Python", "lua": "Lua", "typescript": "TypeScript"}
BEFORE_OPENED = "before: files only opened"
BEFORE_COMPLETED = "before: after a completion in every file"


def after_name(budget: int) -> str:
    return f"after: contextTokens {budget}"


@dataclass
class Tally:
    """Counts for one language and configuration."""

    cases: int = 0
    needed: int = 0
    found: int = 0
    tokens: float = 0.0
    pairs: int = 0
    identical: int = 0
    build_ms: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.cases += other.cases
        self.needed += other.needed
        self.found += other.found
        self.tokens += other.tokens
        self.pairs += other.pairs
        self.identical += other.identical
        self.build_ms.extend(other.build_ms)

    @property
    def found_share(self) -> float:
        return self.found / self.needed if self.needed else 0.0

    @property
    def mean_tokens(self) -> float:
        return self.tokens / self.cases if self.cases else 0.0

    @property
    def identical_share(self) -> float:
        return self.identical / self.pairs if self.pairs else 1.0

    def summary(self) -> dict[str, float | int]:
        ms = sorted(self.build_ms)
        return {
            "cases": self.cases,
            "needed": self.needed,
            "found": self.found,
            "found_share": round(self.found_share, 4),
            "mean_context_tokens": round(self.mean_tokens, 1),
            "pairs": self.pairs,
            "identical": self.identical,
            "identical_share": round(self.identical_share, 4),
            "build_ms_p50": round(ms[len(ms) // 2], 3) if ms else 0.0,
            "build_ms_p95": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 3) if ms else 0.0,
        }


# --- sources ------------------------------------------------------------------------------------


def _python_projects() -> list[Project]:
    site = Path(sysconfig.get_paths()["purelib"])
    distributions = importlib.metadata.packages_distributions()
    out: list[Project] = []
    for name in PYTHON_PROJECTS:
        root = site / name
        if not (root / "__init__.py").is_file():
            continue
        files = [
            path
            for path in sorted(root.rglob("*.py"))
            if not any(
                part in ("tests", "test", "testing") for part in path.relative_to(root).parts
            )
        ]
        dist = (distributions.get(name) or [name])[0]
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        out.append(Project("python", name, version, root, files))
    return out


def _lua_runtime() -> Path | None:
    for folder in (".cache/nvim-0.12", ".cache/nvim-0.11"):
        base = REPO / folder
        if base.is_dir():
            for found in sorted(base.rglob("runtime/lua/vim")):
                if (found / "lsp").is_dir():
                    return found
    return None


def _lua_projects() -> list[Project]:
    vim = _lua_runtime()
    if vim is None:
        return []
    files = sorted(vim.parent.rglob("*.lua"))
    version = next((part for part in vim.parts if part.startswith("nvim-")), "?")
    return [Project("lua", "nvim-runtime", version, vim.parent, files)]


def _npm_install(directory: Path, specs: Sequence[str]) -> bool:
    npm = shutil.which("npm")
    if npm is None:
        return False
    directory.mkdir(parents=True, exist_ok=True)
    print(f"installing {' '.join(specs)} into {directory} ...", flush=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--prefix",
            str(directory),
            *specs,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return done.returncode == 0


def _installed_version(package_dir: Path) -> str | None:
    try:
        data = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None


def _typescript_sources(directory: Path) -> tuple[list[Project], Path | None, str]:
    """The TypeScript projects and the compiler's folder, installing what is missing."""
    if shutil.which("node") is None:
        return [], None, "node is not on PATH"
    directory = directory.resolve()
    modules = directory / "node_modules"
    missing = [
        f"{name}@{version}"
        for name, (version, _) in TS_PACKAGES.items()
        if _installed_version(modules / name) != version
    ]
    compiler = REPO / "clients/vscode/node_modules/typescript"
    if not (compiler / "package.json").is_file():
        compiler = modules / "typescript"
        if not (compiler / "package.json").is_file():
            missing.append(f"typescript@{TYPESCRIPT_VERSION}")
    if missing and not _npm_install(directory, missing):
        return [], None, f"npm install of {', '.join(missing)} into {directory} failed"
    projects: list[Project] = []
    for name, (version, sources) in TS_PACKAGES.items():
        root = modules / name / sources
        files = [
            path.resolve()
            for path in sorted(root.rglob("*.ts"))
            if not path.name.endswith(".d.ts")
            and ".spec." not in path.name
            and ".test." not in path.name
            and "__tests__" not in path.parts
        ]
        if files:
            projects.append(Project("typescript", name, version, root, files))
    if not (compiler / "package.json").is_file():
        return projects, None, "the TypeScript compiler is missing"
    return projects, compiler, ""


# --- cases --------------------------------------------------------------------------------------


def language_cases(
    language: str,
    projects: list[Project],
    *,
    seed: int,
    limit: int,
    per_file: int,
    compiler: Path | None,
) -> list[FileSet]:
    generators: list[Iterator[FileSet]] = []
    for project in projects:
        if language == "python":
            spec = Language(
                "python", "python", python_facts, python_resolver(project.root), PY_STOP
            )
        elif language == "lua":
            spec = Language("lua", "lua", lua_facts, lua_resolver(project.root), LUA_STOP)
        else:
            assert compiler is not None
            facts = typescript_facts(project.files, compiler, HELPER)

            def ts_facts(path: Path, facts: dict[str, FileFacts] = facts) -> FileFacts | None:
                return facts.get(str(path))

            spec = Language(
                "typescript",
                "typescript",
                ts_facts,
                typescript_resolver(set(project.files)),
                TS_STOP,
            )
        generators.append(file_sets(project, spec, seed=seed, per_file=per_file))
    sets, _ = take_round_robin(generators, limit)
    return sets


# --- measuring ----------------------------------------------------------------------------------


def snippet_block(
    snippets: Sequence[tuple[str, str]], language_id: str, budget: float
) -> list[str]:
    """The prompt's context part before issue 17 (``context._snippet_block`` at commit 926deeb).

    Each snippet (path, text) as comment lines, cut at a line boundary, under one shared budget.
    """
    out: list[str] = []
    for path, raw in snippets:
        head = comment_line(language_id, f"Compare this snippet from {path}:")
        cost = estimate_line_tokens(head)
        if cost > budget:
            break
        block = [head]
        start = 0
        text = raw.replace("\r", "")
        while start <= len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            commented = comment_line(language_id, text[start:end])
            line_cost = estimate_line_tokens(commented)
            if cost + line_cost > budget:
                break
            block.append(commented)
            cost += line_cost
            start = end + 1
        if len(block) > 1:
            out.extend(block)
            budget -= cost
    return out


def _uri(path: str) -> str:
    return "file://" + path


def _context_part(prompt: str, header_lines: int, path: str) -> list[str]:
    """The prompt's lines before the file's own ``Path:`` header."""
    lines = prompt.split("\n")
    end = max(0, header_lines - 2)
    if end < len(lines) and "Path:" not in lines[end]:
        for index in range(min(header_lines, len(lines)) - 1, -1, -1):
            if "Path:" in lines[index] and path.rsplit("/", 1)[-1] in lines[index]:
                end = index
                break
    return lines[:end]


def _set_line(doc: Document, row: int, text: str) -> None:
    doc.replace(Position(row, 0), Position(row, len(doc.lines[row])), text)
    doc.version += 1


def measure_file_set(
    file_set: FileSet, budgets: Sequence[int], tallies: dict[str, dict[str, Tally]]
) -> None:
    """Every case and the walk of one file set, in every configuration."""
    store = DocumentStore()
    docs: dict[str, Document] = {}
    for path in (*file_set.opened, file_set.path):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        docs[path] = store.open(_uri(path), file_set.language_id, 1, text)
    doc = docs[file_set.path]
    uri = _uri(file_set.path)
    builders: dict[int, PromptBuilder] = {}
    if HAVE_BUILDER:
        for budget in budgets:
            builder = PromptBuilder(
                store, excluded=lambda path: False, read_disk=False, roots=(file_set.workspace,)
            )
            for path in (*file_set.opened, file_set.path):
                builder.opened(_uri(path))
            builders[budget] = builder
    recent = file_set.completion_order[-SNIPPET_BUFFERS:]
    language_id = file_set.language_id

    def changed() -> None:
        for builder in builders.values():
            builder.changed(uri)

    def before(snippets: bool) -> Callable[[int, int], tuple[str, float]]:
        def build(line: int, col: int) -> tuple[str, float]:
            del line, col  # the context part did not depend on the cursor
            chosen = (
                sorted(
                    (
                        os.path.relpath(p, file_set.workspace),
                        "\n".join(docs[p].lines[:SNIPPET_LINES]),
                    )
                    for p in recent
                )
                if snippets
                else []
            )
            head = snippet_block(chosen, language_id, SNIPPET_TOKENS)
            return "\n".join(head), sum(estimate_line_tokens(text) for text in head)

        return build

    def after(budget: int) -> Callable[[int, int], tuple[str, float]]:
        builder = builders[budget]

        def build(line: int, col: int) -> tuple[str, float]:
            ctx = builder.build(
                doc,
                line,
                col,
                prefix_tokens=PREFIX_TOKENS,
                suffix_tokens=SUFFIX_TOKENS,
                context_tokens=budget,
            )
            head = _context_part(ctx.prompt, ctx.header_lines, file_set.path)
            return "\n".join(head), float(ctx.context_tokens)

        return build

    configs: dict[str, Callable[[int, int], tuple[str, float]]] = {
        BEFORE_OPENED: before(False),
        BEFORE_COMPLETED: before(True),
    }
    for budget in builders:
        configs[after_name(budget)] = after(budget)

    for case in file_set.cases:
        original = doc.lines[case.line]
        _set_line(doc, case.line, original[: case.col])
        changed()
        for name, build in configs.items():
            tally = tallies[file_set.language][name]
            started = time.perf_counter()
            context, tokens = build(case.line, case.col)
            tally.build_ms.append((time.perf_counter() - started) * 1000)
            tally.cases += 1
            tally.tokens += tokens
            for need in case.needed:
                tally.needed += 1
                if any(d.signature in context for d in need.definitions):
                    tally.found += 1
        _set_line(doc, case.line, original)
        changed()

    walk = file_set.walk
    if walk is None:
        return
    previous: dict[str, str] = {}
    row = walk.start
    for step in range(len(walk.typed) + 1):
        if step:
            row += 1
            end = len(doc.lines[row])
            doc.replace(Position(row, end), Position(row, end), walk.typed[step - 1])
            doc.version += 1
            changed()
        col = len(doc.lines[row])
        for name, build in configs.items():
            context, _ = build(row, col)
            if name in previous:
                tally = tallies[file_set.language][name]
                tally.pairs += 1
                tally.identical += previous[name] == context
            previous[name] = context


# --- report -------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def report(
    tallies: dict[str, dict[str, Tally]], config_names: list[str], languages: list[str]
) -> dict[str, Tally]:
    overall: dict[str, Tally] = {}
    for name in config_names:
        total = Tally()
        for language in languages:
            total.add(tallies[language][name])
        overall[name] = total
    width = max(len(name) for name in config_names)
    heads = [LANGUAGE_NAMES[language] for language in languages] + ["all", "ctx tok", "ident."]
    print()
    print("Share of the needed cross-file definitions whose signature line is in the context part")
    print(f"{'what goes into the prompt':<{width}} | " + " | ".join(f"{h:>10}" for h in heads))
    print("-" * width + "-+-" + "-+-".join("-" * 10 for _ in heads))
    for name in config_names:
        cells = [_pct(tallies[language][name].found_share) for language in languages]
        total = overall[name]
        cells += [
            _pct(total.found_share),
            f"{total.mean_tokens:.0f}",
            _pct(total.identical_share),
        ]
        print(f"{name:<{width}} | " + " | ".join(f"{cell:>10}" for cell in cells))
    print()
    print("Per language: found / mean context tokens / byte-identical consecutive contexts")
    print(
        f"{'':<{width}} | "
        + " | ".join(f"{LANGUAGE_NAMES[language]:>24}" for language in languages)
    )
    for name in config_names:
        cells = []
        for language in languages:
            tally = tallies[language][name]
            cells.append(
                f"{_pct(tally.found_share)} {tally.mean_tokens:5.0f} {_pct(tally.identical_share)}"
            )
        print(f"{name:<{width}} | " + " | ".join(f"{cell:>24}" for cell in cells))
    for name in config_names:
        if name.startswith("after"):
            summary = overall[name].summary()
            print(
                f"{name}: build p50 {summary['build_ms_p50']} ms, p95 {summary['build_ms_p95']} ms"
            )
    return overall


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cases", type=int, help="cases per language (default 240, quick 40)")
    parser.add_argument(
        "--per-file", type=int, help="cases per file at most (default 5, Lua 8; quick 3)"
    )
    parser.add_argument("--walks", type=int, help="walks per language (default 30, quick 6)")
    parser.add_argument("--languages", default="python,lua,typescript")
    parser.add_argument("--sources-dir", type=Path, default=REPO / ".cache/bench-sources")
    parser.add_argument(
        "--allow-missing", action="store_true", help="exit 0 when a language's sources are missing"
    )
    args = parser.parse_args()
    limit = args.cases or (40 if args.quick else 240)
    # One Lua project, ~30 of whose files require another: more cases per file there.
    per_file = {
        language: args.per_file or (3 if args.quick else 8 if language == "lua" else 5)
        for language in ("python", "lua", "typescript")
    }
    walks = args.walks if args.walks is not None else (6 if args.quick else 30)
    started = time.perf_counter()

    requested = [language.strip() for language in args.languages.split(",") if language.strip()]
    missing: list[str] = []
    languages: list[str] = []
    all_sets: list[FileSet] = []
    sources: dict[str, list[str]] = {}
    for language in requested:
        compiler: Path | None = None
        if language == "python":
            projects = _python_projects()
            why = "no package of the list is installed in this interpreter's site-packages"
        elif language == "lua":
            projects = _lua_projects()
            why = f"no Neovim runtime (runtime/lua/vim) under {REPO / '.cache'}/nvim-0.12"
        elif language == "typescript":
            projects, compiler, why = _typescript_sources(args.sources_dir)
        else:
            parser.error(f"unknown language {language!r}")
        if not projects or (language == "typescript" and compiler is None):
            print(f"SKIPPED {LANGUAGE_NAMES[language]}: {why}")
            missing.append(language)
            continue
        sources[language] = [f"{p.name} {p.version} ({len(p.files)} files)" for p in projects]
        print(f"{LANGUAGE_NAMES[language]}: " + ", ".join(sources[language]), flush=True)
        sets = language_cases(
            language,
            projects,
            seed=args.seed,
            limit=limit,
            per_file=per_file[language],
            compiler=compiler,
        )
        for index, file_set in enumerate(sets):
            if index >= walks:
                file_set.walk = None
        all_sets.extend(sets)
        languages.append(language)

    budgets = BUDGETS
    config_names = [BEFORE_OPENED, BEFORE_COMPLETED]
    if HAVE_BUILDER:
        config_names += [after_name(budget) for budget in budgets]
    tallies = {language: {name: Tally() for name in config_names} for language in languages}
    for file_set in all_sets:
        measure_file_set(file_set, budgets, tallies)

    for language in languages:
        sets = [s for s in all_sets if s.language == language]
        cases = sum(len(s.cases) for s in sets)
        needed = sum(len(c.needed) for s in sets for c in s.cases)
        projects_used = sorted({s.project for s in sets})
        print(
            f"{LANGUAGE_NAMES[language]}: {cases} cases in {len(sets)} files "
            f"({len(projects_used)} projects), {needed} needed definitions, "
            f"{sum(1 for s in sets if s.walk)} walks"
        )
    if not languages:
        print("no language could be measured")
        return 1
    overall = report(tallies, config_names, languages)

    goal: dict[str, object] = {}
    if HAVE_BUILDER:
        name = after_name(GOAL_BUDGET)
        each = {language: tallies[language][name].found_share for language in languages}
        met_all = overall[name].found_share >= GOAL_ALL
        met_each = all(share >= GOAL_EACH for share in each.values())
        met_identical = overall[name].identical_share >= GOAL_IDENTICAL
        met = met_all and met_each and met_identical and not missing
        goal = {"met": met, "all": met_all, "each": met_each, "identical": met_identical}
        print(
            f"\ngoal at {GOAL_BUDGET} tokens: all {_pct(overall[name].found_share)} "
            f"(>= {_pct(GOAL_ALL)}: {'yes' if met_all else 'no'}), each language "
            + ", ".join(f"{LANGUAGE_NAMES[k]} {_pct(v)}" for k, v in each.items())
            + f" (>= {_pct(GOAL_EACH)}: {'yes' if met_each else 'no'}), byte-identical "
            f"{_pct(overall[name].identical_share)} (>= {_pct(GOAL_IDENTICAL)}: "
            f"{'yes' if met_identical else 'no'}) -> {'MET' if met else 'NOT MET'}"
            + (" (languages missing)" if missing else "")
        )
    else:
        print(
            "\nafter: deepseek_fim.sources.prompt_builder.PromptBuilder is not in this server; "
            "only the 'before' rows were measured"
        )
    elapsed = time.perf_counter() - started
    print(f"({elapsed:.1f} s, seed {args.seed}{', quick' if args.quick else ''})")

    if args.json:
        payload = {
            "seed": args.seed,
            "quick": args.quick,
            "sources": sources,
            "missing": missing,
            "budgets": list(budgets) if HAVE_BUILDER else [],
            "results": {
                language: {name: tallies[language][name].summary() for name in config_names}
                for language in languages
            },
            "all": {name: overall[name].summary() for name in config_names},
            "goal": goal,
            "file_sets": [
                {
                    "language": s.language,
                    "project": s.project,
                    "path": s.path,
                    "opened": list(s.opened),
                    "cases": [asdict(case) for case in s.cases],
                }
                for s in all_sets
            ],
            "seconds": round(elapsed, 1),
        }
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    if missing and not args.allow_missing:
        return 1
    return 0 if HAVE_BUILDER else 1


if __name__ == "__main__":
    sys.exit(main())

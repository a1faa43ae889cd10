"""Cases for bench/bench_cross_file.py: cursor lines that need a definition from another open file.

Sources are real multi-file projects this repository did not write (Python packages installed in
the venv, the Neovim runtime's Lua, TypeScript packages that ship their sources). For a file that
imports other files of its project, the benchmark opens the file, the files it imports (those
that resolve within the project) and two other files of its directory. A case is the start of a
line of that file (the line's text cut after its indentation: what the user is about to type)
whose identifiers include names defined in another open file that are not defined in the file
itself and appear nowhere in the cursor's own windows (the prompt's document part and the
suffix, as ``build_context`` cuts them without any context).

Where a name is defined is found without the server's outline code:
- Python: the ``ast`` module: module-level ``def``/``class``/assignments/annotated assignments
  (also inside module-level ``if``/``try`` blocks), and a class's methods and class-level fields;
- TypeScript: the TypeScript compiler API, run under node (``cross_file_ts_defs.js``): functions,
  classes and their members, interfaces and their members, type aliases, enums and their members,
  exported consts;
- Lua: a small definition finder written for this benchmark (independent of the server's): lines
  at column 0 (the Neovim runtime is formatted by stylua, so indentation is nesting) that read
  ``function a.b:c(``, ``local function f(``, ``a.b = ...``, ``f = function``, ``local f =
  function``, and the fields of top-level table constructors assigned to a dotted name, to the
  table the module returns, or written after ``return``.
Lua locals (``local function f``) and TypeScript top-level declarations without ``export`` are
the file's own names but never another file's: no other file can use them, so a name in the
cursor line that matches one is a coincidence, not a needed definition.

Everything is seeded and deterministic for given sources.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import keyword
import random
import re
import subprocess
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deepseek_fim.context import build_context

SIGNATURE_CHARS = 60
MIN_NAME_LENGTH = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names never counted as needed: builtins and keywords, standard libraries, very common members.
PY_STOP = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "cls"}
LUA_KEYWORDS = _words(
    "and break do else elseif end false for function goto if in local nil not or repeat return "
    "then true until while"
)
LUA_STOP = _words(
    "assert collectgarbage dofile error getmetatable ipairs load loadfile next pairs pcall print "
    "rawequal rawget rawlen rawset require select setmetatable tonumber tostring type xpcall "
    "string table math io os coroutine debug utf8 package bit jit vim self unpack "
    "format find gsub gmatch match sub len lower upper rep byte char insert remove concat sort "
    "floor ceil max min abs huge"
)
TS_STOP = _words(
    "Array Object Promise Error TypeError Map Set WeakMap WeakSet Symbol Date Math JSON Number "
    "String Boolean Function RegExp Infinity NaN undefined console globalThis window document "
    "setTimeout clearTimeout setInterval clearInterval queueMicrotask length push pop shift "
    "unshift slice splice concat indexOf includes forEach map filter reduce find some every join "
    "keys values entries assign freeze create then catch finally call apply bind toString "
    "hasOwnProperty prototype constructor this"
)


@dataclass(frozen=True)
class Definition:
    """A definition's place and the text that shows it is in a prompt."""

    name: str
    path: str
    line: int
    signature: str  # the first source line, stripped, cut to SIGNATURE_CHARS characters


@dataclass
class FileFacts:
    """What one source file defines, uses and imports (ground truth, not the server's)."""

    path: str
    lines: list[str]
    defs: dict[str, list[int]]  # name -> 0-based lines of its definitions
    uses: dict[int, list[str]]  # 0-based line -> names used there (not declared there)
    skip: set[int]  # import lines
    imports: list[str]  # import specifiers as written
    # Definitions no other file can use (Lua locals, TypeScript declarations without export):
    # they count as the file's own names but never as another file's.
    private: set[tuple[str, int]] = field(default_factory=set)


@dataclass(frozen=True)
class Needed:
    """A name a case's line needs, and its definitions in the other open files."""

    name: str
    definitions: tuple[Definition, ...]


@dataclass(frozen=True)
class Case:
    """A cursor at the start of ``line`` (after its indentation) with the line's text cut."""

    line: int
    col: int
    needed: tuple[Needed, ...]


@dataclass(frozen=True)
class Walk:
    """Consecutive requests: from ``start``, the cursor moves down one line per typed character."""

    start: int
    typed: str  # one character typed at the end of each line after the first


@dataclass
class FileSet:
    """One current file, the files opened with it, and its cases."""

    language: str
    language_id: str
    project: str
    path: str
    opened: tuple[str, ...]  # the other open files, in the order they are opened
    completion_order: tuple[str, ...]  # the order a completion was asked in them ("before")
    workspace: str = ""  # the folder an editor would have opened: the project's repository
    cases: list[Case] = field(default_factory=list)
    walk: Walk | None = None


@dataclass
class Project:
    """A multi-file project in one language."""

    language: str
    name: str
    version: str
    root: Path  # the package's sources; its parent stands for the repository (the workspace)
    files: list[Path]


def signature_of(lines: Sequence[str], line: int) -> str:
    return lines[line].strip()[:SIGNATURE_CHARS] if 0 <= line < len(lines) else ""


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").split("\n")


# --- Python -------------------------------------------------------------------------------------


def _py_defs(tree: ast.Module) -> dict[str, list[int]]:
    defs: dict[str, list[int]] = {}

    def add(name: str, lineno: int) -> None:
        defs.setdefault(name, []).append(lineno - 1)

    def targets(node: ast.expr, lineno: int) -> None:
        if isinstance(node, ast.Name):
            add(node.id, lineno)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                targets(element, lineno)

    def class_body(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                add(stmt.name, stmt.lineno)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    targets(target, stmt.lineno)
            elif isinstance(stmt, ast.AnnAssign):
                targets(stmt.target, stmt.lineno)

    def module_body(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                add(stmt.name, stmt.lineno)
            elif isinstance(stmt, ast.ClassDef):
                add(stmt.name, stmt.lineno)
                class_body(stmt.body)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    targets(target, stmt.lineno)
            elif isinstance(stmt, ast.AnnAssign):
                targets(stmt.target, stmt.lineno)
            elif isinstance(stmt, ast.If):
                module_body(stmt.body)
                module_body(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                module_body(stmt.body)
                for handler in stmt.handlers:
                    module_body(handler.body)
                module_body(stmt.orelse)
                module_body(stmt.finalbody)

    module_body(tree.body)
    return defs


def _py_declared(tree: ast.Module) -> set[tuple[int, str]]:
    """(0-based line, name) of names declared, not used, where they stand."""
    out: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            out.add((node.lineno - 1, node.id))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(((node.end_lineno or node.lineno) - 1, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add((node.lineno - 1, node.name))
        elif isinstance(node, ast.arg) or (isinstance(node, ast.keyword) and node.arg is not None):
            out.add((node.lineno - 1, str(node.arg)))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add((node.lineno - 1, node.name))
        elif isinstance(node, ast.Global | ast.Nonlocal):
            out.update((node.lineno - 1, name) for name in node.names)
    return out


def python_facts(path: Path) -> FileFacts | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    declared = _py_declared(tree)
    uses: dict[int, list[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.NAME or keyword.iskeyword(token.string):
                continue
            line = token.start[0] - 1
            if (line, token.string) not in declared:
                uses.setdefault(line, []).append(token.string)
    except (tokenize.TokenError, SyntaxError):
        return None
    skip: set[int] = set()
    imports: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            skip.update(range(node.lineno - 1, node.end_lineno or node.lineno))
        if isinstance(node, ast.Import):
            imports.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            imports.append(base)
            for alias in node.names:
                if alias.name != "*":
                    imports.append(base + ("" if base.endswith(".") else ".") + alias.name)
    lines = text.replace("\r\n", "\n").split("\n")
    return FileFacts(str(path), lines, _py_defs(tree), uses, skip, imports)


def python_resolver(root: Path) -> Callable[[Path, str], Path | None]:
    """Resolve ``pkg.mod``/``..mod`` within the package at ``root`` (a directory)."""

    def resolve(current: Path, spec: str) -> Path | None:
        level = len(spec) - len(spec.lstrip("."))
        dotted = spec[level:]
        if level:
            package = current.parent
            for _ in range(level - 1):
                package = package.parent
            parts = [p for p in dotted.split(".") if p]
            base = package
        else:
            parts = dotted.split(".")
            if parts[0] != root.name:
                return None
            base = root.parent
        target = base.joinpath(*parts) if parts else base
        if parts and target.with_suffix(".py").is_file():
            return target.with_suffix(".py")
        init = target / "__init__.py"
        return init if init.is_file() else None

    return resolve


# --- Lua ----------------------------------------------------------------------------------------

_LUA_TOKEN = re.compile(
    r"""(?P<long>\[(?P<eq>=*)\[)|(?P<comment>--)|(?P<str>["'])|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<num>\d[\w.]*)|(?P<op>==|~=|<=|>=|\.\.\.?|::|\S)"""
)


def lua_tokens(text: str) -> tuple[list[list[tuple[str, str]]], set[int]]:
    """Tokens per line (kind, text) with strings' contents as one ``str`` token, and the lines
    that start inside a long string or comment."""
    lines = text.split("\n")
    out: list[list[tuple[str, str]]] = [[] for _ in lines]
    inside: set[int] = set()
    row, col = 0, 0
    while row < len(lines):
        line = lines[row]
        match = _LUA_TOKEN.search(line, col)
        if match is None:
            row, col = row + 1, 0
            continue
        kind = match.lastgroup or ""
        if match.group("long") is not None or (
            kind == "comment" and re.match(r"--\[(=*)\[", line[match.start() :])
        ):
            opener = re.match(r"(?:--)?\[(=*)\[", line[match.start() :])
            assert opener is not None
            close = "]" + opener.group(1) + "]"
            start_row, start = row, match.start() + len(opener.group(0))
            while True:
                end = lines[row].find(close, start)
                if end >= 0:
                    break
                row, start = row + 1, 0
                if row >= len(lines):
                    return out, inside
                inside.add(row)
            if kind != "comment":
                out[start_row].append(("str", ""))
            col = end + len(close)
        elif kind == "comment":
            row, col = row + 1, 0
        elif kind == "str":
            quote = match.group("str")
            index = match.end()
            chars: list[str] = []
            while index < len(line) and line[index] != quote:
                if line[index] == "\\":
                    index += 1
                elif index < len(line):
                    chars.append(line[index])
                index += 1
            out[row].append(("str", "".join(chars)))
            col = index + 1
        else:
            name = match.group(0)
            out[row].append(("kw" if name in LUA_KEYWORDS else kind, name))
            col = match.end()
    return out, inside


def _lua_declared(tokens: list[tuple[str, str]]) -> set[str]:
    """Names a line declares: assignment targets, locals, function names and parameters."""
    out: set[str] = set()
    texts = [text for _, text in tokens]
    if texts[:1] == ["function"] or texts[:2] == ["local", "function"]:
        return {text for kind, text in tokens if kind == "name"}
    if texts[:1] == ["for"]:
        for kind, text in tokens[1:]:
            if text in ("in", "="):
                break
            if kind == "name":
                out.add(text)
    depth = 0
    for index, (kind, text) in enumerate(tokens):
        if kind != "op":
            continue
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth -= 1
        elif text == "=" and depth <= 0:
            out.update(t for k, t in tokens[:index] if k == "name")
            break
    for index, (_, text) in enumerate(tokens):
        if text == "function":
            for kind, inner in tokens[index + 1 :]:
                if inner == ")":
                    break
                if kind == "name":
                    out.add(inner)
    return out


_LUA_FUNCTION = re.compile(r"^(?:local\s+)?function\s+([\w.:]+)\s*\(")
_LUA_ASSIGN = re.compile(r"^(?:local\s+)?([\w.]+)\s*=(?!=)\s*(.*)$")
_LUA_TABLE = re.compile(r"^(?:(?:local\s+)?([\w.]+)\s*=|return)\s*\{\s*$")
_LUA_FIELD = re.compile(r"""^(\s+)(?:(\w+)|\[(["'])(\w+)\3\])\s*=(?!=)""")


def _lua_defs(
    lines: list[str], inside: set[int]
) -> tuple[dict[str, list[int]], set[tuple[str, int]]]:
    defs: dict[str, list[int]] = {}
    private: set[tuple[str, int]] = set()
    returned = {
        m.group(1) for text in lines if (m := re.match(r"^return\s+([\w]+)\s*$", text)) is not None
    }
    row = 0
    while row < len(lines):
        text = lines[row]
        if row in inside or not text or text[0].isspace():
            row += 1
            continue
        if (function := _LUA_FUNCTION.match(text)) is not None:
            name = re.split(r"[.:]", function.group(1))[-1]
            defs.setdefault(name, []).append(row)
            if text.startswith("local"):
                private.add((name, row))
        elif (table := _LUA_TABLE.match(text)) is not None:
            target = table.group(1)
            exported = target is None or "." in target or target in returned
            if target is not None and "." in target:
                defs.setdefault(target.rsplit(".", 1)[-1], []).append(row)
            indent: str | None = None
            row += 1
            while row < len(lines) and not lines[row].startswith("}"):
                field_match = _LUA_FIELD.match(lines[row])
                if exported and field_match is not None and row not in inside:
                    indent = field_match.group(1) if indent is None else indent
                    if field_match.group(1) == indent:
                        name = field_match.group(2) or field_match.group(4)
                        defs.setdefault(name, []).append(row)
                row += 1
        elif (assign := _LUA_ASSIGN.match(text)) is not None:
            target, value = assign.group(1), assign.group(2)
            local = text.startswith("local")
            if ("." in target and not local) or value.startswith("function"):
                name = target.rsplit(".", 1)[-1]
                defs.setdefault(name, []).append(row)
                if local:
                    private.add((name, row))
        row += 1
    return defs, private


def lua_facts(path: Path) -> FileFacts | None:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    lines = text.split("\n")
    tokens, inside = lua_tokens(text)
    uses: dict[int, list[str]] = {}
    skip: set[int] = set()
    imports: list[str] = []
    for row, line_tokens in enumerate(tokens):
        declared = _lua_declared(line_tokens)
        for index, (kind, name) in enumerate(line_tokens):
            if kind == "name" and name == "require":
                skip.add(row)
                rest = [t for t in line_tokens[index + 1 : index + 3] if t[1] != "("]
                if rest and rest[0][0] == "str":
                    imports.append(rest[0][1])
            elif kind == "name" and name not in declared:
                uses.setdefault(row, []).append(name)
    defs, private = _lua_defs(lines, inside)
    return FileFacts(str(path), lines, defs, uses, skip, imports, private)


def lua_resolver(root: Path) -> Callable[[Path, str], Path | None]:
    """``require('a.b')`` -> ``root/a/b.lua`` or ``root/a/b/init.lua``."""

    def resolve(current: Path, spec: str) -> Path | None:
        del current
        base = root.joinpath(*spec.split("."))
        for candidate in (base.with_suffix(".lua"), base / "init.lua"):
            if candidate.is_file():
                return candidate
        return None

    return resolve


# --- TypeScript ---------------------------------------------------------------------------------


def typescript_facts(
    files: Sequence[Path], typescript_dir: Path, helper: Path
) -> dict[str, FileFacts]:
    """Run the TypeScript compiler API helper over ``files`` (one node process)."""
    done = subprocess.run(
        ["node", str(helper), str(typescript_dir)],
        input=json.dumps([str(path) for path in files]),
        capture_output=True,
        text=True,
        check=True,
    )
    raw: dict[str, dict[str, object]] = json.loads(done.stdout)
    out: dict[str, FileFacts] = {}
    for path, item in raw.items():
        defs: dict[str, list[int]] = {}
        private: set[tuple[str, int]] = set()
        for name, line, hidden in item["defs"]:  # type: ignore[attr-defined]
            defs.setdefault(str(name), []).append(int(line))
            if hidden:
                private.add((str(name), int(line)))
        uses = {int(line): list(names) for line, names in item["uses"].items()}  # type: ignore[attr-defined]
        skip = {int(line) for line in item["skip"]}  # type: ignore[attr-defined]
        imports = [str(spec) for spec in item["imports"]]  # type: ignore[attr-defined]
        out[path] = FileFacts(path, read_lines(Path(path)), defs, uses, skip, imports, private)
    return out


def typescript_resolver(files: set[Path]) -> Callable[[Path, str], Path | None]:
    """Relative specifiers only: ``./x``, ``./x.js`` -> ``x.ts`` or ``x/index.ts``."""

    def resolve(current: Path, spec: str) -> Path | None:
        if not spec.startswith("."):
            return None
        base = (current.parent / spec).resolve()
        stem = base.with_suffix("") if base.suffix in (".js", ".ts", ".mjs") else base
        for candidate in (
            stem.with_name(stem.name + ".ts"),
            stem.with_name(stem.name + ".tsx"),
            stem / "index.ts",
        ):
            if candidate in files:
                return candidate
        return None

    return resolve


# --- Cases --------------------------------------------------------------------------------------


@dataclass
class Language:
    """How to read one language's files."""

    name: str
    language_id: str
    facts: Callable[[Path], FileFacts | None]
    resolver: Callable[[Path, str], Path | None]
    stop_names: frozenset[str]


def _usable(name: str, stop: frozenset[str]) -> bool:
    if len(name) < MIN_NAME_LENGTH or name in stop:
        return False
    return not (name.startswith("__") and name.endswith("__"))


def _boundary(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")


def window_text(lines: Sequence[str], line: int, col: int, path: str, language_id: str) -> str:
    """The cursor's own windows (no context): the prompt's document part, then the suffix."""
    ctx = build_context(lines, line, col, path=path, language_id=language_id)
    body = ctx.prompt.split("\n")[ctx.header_lines :]
    return "\n".join(body) + "\n" + ctx.suffix


def file_sets(
    project: Project,
    language: Language,
    *,
    seed: int,
    per_file: int,
    walk_lines: tuple[int, int] = (10, 20),
) -> Iterator[FileSet]:
    """The project's file sets with cases, files in a seeded order, at most ``per_file`` each."""
    cache: dict[Path, FileFacts | None] = {}

    def facts(path: Path) -> FileFacts | None:
        if path not in cache:
            cache[path] = language.facts(path)
        return cache[path]

    files = sorted(project.files)
    known = set(files)
    order = list(files)
    random.Random(f"{seed}:{project.name}").shuffle(order)
    for path in order:
        current = facts(path)
        if current is None:
            continue
        imported: list[Path] = []
        for spec in current.imports:
            target = language.resolver(path, spec)
            if target in known and target != path and target not in imported:
                imported.append(target)
        if not imported:
            continue
        # Seeded by the path inside the project: the same cases wherever the sources live.
        rng = random.Random(f"{seed}:{project.name}:{path.relative_to(project.root).as_posix()}")
        siblings = sorted(
            other
            for other in files
            if other.parent == path.parent and other != path and other not in imported
        )
        opened = imported + rng.sample(siblings, min(2, len(siblings)))
        others: dict[str, list[Definition]] = {}
        for other in opened:
            other_facts = facts(other)
            if other_facts is None:
                continue
            for name, rows in other_facts.defs.items():
                for row in rows:
                    if (name, row) in other_facts.private:
                        continue
                    signature = signature_of(other_facts.lines, row)
                    if signature:
                        others.setdefault(name, []).append(
                            Definition(name, str(other), row, signature)
                        )
        own = set(current.defs)

        def wanted(
            name: str, own: set[str] = own, others: dict[str, list[Definition]] = others
        ) -> bool:
            return name in others and name not in own and _usable(name, language.stop_names)

        candidates = sorted(
            row
            for row, names in current.uses.items()
            if row not in current.skip
            and row < len(current.lines)
            and current.lines[row].strip()
            and any(wanted(name) for name in names)
        )
        rng.shuffle(candidates)
        completion_order = [str(p) for p in opened]
        rng.shuffle(completion_order)
        file_set = FileSet(
            language=language.name,
            language_id=language.language_id,
            project=project.name,
            path=str(path),
            opened=tuple(str(p) for p in opened),
            completion_order=tuple(completion_order),
            workspace=str(project.root.parent),
        )
        for row in candidates:
            if len(file_set.cases) >= per_file:
                break
            text = current.lines[row]
            indent = text[: len(text) - len(text.lstrip())]
            cut = list(current.lines)
            cut[row] = indent
            window = window_text(cut, row, len(indent), str(path), language.language_id)
            needed = [
                Needed(name, tuple(others[name]))
                for name in dict.fromkeys(current.uses[row])
                if wanted(name) and not _boundary(name).search(window)
            ]
            if needed:
                file_set.cases.append(Case(row, len(indent), tuple(needed)))
        if not file_set.cases:
            continue
        low, high = walk_lines
        steps = rng.randint(low, high)
        if len(current.lines) > steps + 2:
            start = rng.randrange(0, len(current.lines) - steps - 1)
            typed = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(steps))
            file_set.walk = Walk(start, typed)
        yield file_set


def take_round_robin(generators: list[Iterator[FileSet]], limit: int) -> tuple[list[FileSet], int]:
    """File sets from each project in turn until ``limit`` cases (the last set may be cut)."""
    out: list[FileSet] = []
    total = 0
    live = list(generators)
    while live and total < limit:
        for generator in list(live):
            if total >= limit:
                break
            file_set = next(generator, None)
            if file_set is None:
                live.remove(generator)
                continue
            room = limit - total
            del file_set.cases[room:]
            out.append(file_set)
            total += len(file_set.cases)
    return out, total

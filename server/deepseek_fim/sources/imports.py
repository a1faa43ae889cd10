"""The modules a document imports, and the file paths each may resolve to.

Imports are read from the head of a document (the first IMPORT_SCAN_LINES lines, where nearly
every import sits), for Python, JavaScript/TypeScript, Lua, Go and Rust. Each import becomes the
files it may name: exact paths for relative imports (``from .util import x``, ``'./util'``,
``super::util``) and path suffixes for absolute ones (``pkg.util`` -> ``pkg/util.py``,
``require('vim.lsp.util')`` -> ``vim/lsp/util.lua``), matched against the open buffers (and, when
the setting allows, the workspace on disk). Packages outside the project (``httpx``, ``react``,
``std::``) simply match nothing.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

IMPORT_SCAN_LINES = 400
# A statement spread over lines (``from x import (`` ... ``)``) is read up to this many lines.
_MAX_STATEMENT_LINES = 40


@dataclass(frozen=True)
class Import:
    """One imported module: as written, the names taken from it, its local name."""

    spec: str
    names: tuple[str, ...] = ()
    alias: str | None = None


@dataclass(frozen=True)
class Candidates:
    """Where an import may live: exact paths, path suffixes, or (Go) directory suffixes."""

    paths: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    dir_suffixes: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        """True when the file at ``path`` is one this import may name."""
        if path in self.paths:
            return True
        if any(path.endswith("/" + suffix) or path == suffix for suffix in self.suffixes):
            return True
        directory = posixpath.dirname(path)
        return any(directory.endswith("/" + suffix) for suffix in self.dir_suffixes)


def imports_of(lines: Sequence[str], language_id: str) -> tuple[Import, ...]:
    """The imports in the head of a document, in order, without repeats."""
    head = lines[:IMPORT_SCAN_LINES]
    reader = _READERS.get(language_id)
    if reader is None:
        return ()
    seen: dict[str, Import] = {}
    for found in reader(head):
        known = seen.get(found.spec)
        if known is None:
            seen[found.spec] = found
        else:  # two statements from one module: one import with both sets of names
            names = tuple(dict.fromkeys((*known.names, *found.names)))
            seen[found.spec] = Import(found.spec, names, known.alias or found.alias)
    return tuple(seen.values())


def _statement(lines: Sequence[str], index: int, closed: re.Pattern[str]) -> str:
    """The statement starting at ``index``, joined until ``closed`` matches it."""
    text = lines[index]
    end = min(len(lines), index + _MAX_STATEMENT_LINES)
    while not closed.search(text) and index + 1 < end:
        index += 1
        text += " " + lines[index].strip()
    return text


def _names(text: str) -> tuple[str, ...]:
    """``a, b as c, (d)`` -> the local names (``a``, ``c``, ``d``)."""
    names: list[str] = []
    for part in text.replace("(", " ").replace(")", " ").replace("{", " ").split(","):
        words = part.replace("}", " ").split()
        if not words or (words[0] in ("type", "typeof") and len(words) == 1):
            continue
        if words[0] == "type" and len(words) > 1:
            words = words[1:]
        name = words[-1] if len(words) >= 3 and words[-2] == "as" else words[0]
        if re.fullmatch(r"[\w$]+", name):
            names.append(name)
    return tuple(names)


# ----- Python

_PY_FROM = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+(.*)$")
_PY_IMPORT = re.compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)")
_PY_CLOSED = re.compile(r"^[^(]*$|\)")


def _python(lines: Sequence[str]) -> list[Import]:
    out: list[Import] = []
    for index, line in enumerate(lines):
        if "import" not in line:
            continue
        if match := _PY_FROM.match(line):
            text = _statement(lines, index, _PY_CLOSED)
            names = text.split(" import ", 1)[1].split("#", 1)[0]
            out.append(Import(match.group(1), tuple(n for n in _names(names) if n != "*")))
        elif match := _PY_IMPORT.match(line):
            for part in match.group(1).split(","):
                words = part.split()
                alias = words[2] if len(words) == 3 else None
                out.append(Import(words[0], (), alias))
    return out


# ----- JavaScript / TypeScript

_JS_FROM = re.compile(r"""\bfrom\s*['"]([^'"]+)['"]""")
_JS_START = re.compile(r"^\s*(?:import|export)\b")
_JS_SIDE_EFFECT = re.compile(r"""^\s*import\s*['"]([^'"]+)['"]""")
_JS_CLAUSE = re.compile(r"^\s*(?:import|export)\s+(?:type\s+)?(.*?)\s*\bfrom\s*['\"]")
_JS_REQUIRE = re.compile(
    r"""^\s*(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)"""
)


def _javascript(lines: Sequence[str]) -> list[Import]:
    out: list[Import] = []
    for index, line in enumerate(lines):
        if match := _JS_REQUIRE.match(line):
            target, spec = match.groups()
            if target.startswith("{"):
                out.append(Import(spec, _names(target)))
            else:
                out.append(Import(spec, (), target))
            continue
        if not _JS_START.match(line):
            continue
        if match := _JS_SIDE_EFFECT.match(line):
            out.append(Import(match.group(1)))
            continue
        text = _statement(lines, index, _JS_FROM)
        source = _JS_FROM.search(text)
        clause = _JS_CLAUSE.match(text)
        if source is None or clause is None:
            continue
        what = clause.group(1)
        alias = None
        if match := re.search(r"\*\s+as\s+([\w$]+)", what):
            alias = match.group(1)
        names: list[str] = []
        if "{" in what:
            names.extend(_names(what[what.index("{") : what.rfind("}") + 1]))
        default = re.match(r"\s*([\w$]+)\s*(?:,|$)", what)
        if default and default.group(1) != "type":
            names.append(default.group(1))
        out.append(Import(source.group(1), tuple(names), alias))
    return out


# ----- Lua

_LUA_REQUIRE = re.compile(r"""require\s*\(?\s*['"]([\w./-]+)['"]""")
_LUA_LOCAL = re.compile(r"^\s*local\s+([\w]+)\s*=\s*require\b")


def _lua(lines: Sequence[str]) -> list[Import]:
    out: list[Import] = []
    for line in lines:
        if "require" not in line:
            continue
        alias_match = _LUA_LOCAL.match(line)
        for match in _LUA_REQUIRE.finditer(line):
            alias = alias_match.group(1) if alias_match else None
            out.append(Import(match.group(1), (), alias))
    return out


# ----- Go

_GO_ONE = re.compile(r"""^\s*import\s+(\w+\s+|\.\s+|_\s+)?"([^"]+)\"""")
_GO_IN_BLOCK = re.compile(r"""^\s*(\w+\s+|\.\s+|_\s+)?"([^"]+)\"""")


def _go(lines: Sequence[str]) -> list[Import]:
    out: list[Import] = []
    in_block = False
    for line in lines:
        stripped = line.strip()
        if in_block:
            if stripped.startswith(")"):
                in_block = False
            elif match := _GO_IN_BLOCK.match(line):
                out.append(_go_import(match.group(1), match.group(2)))
            continue
        if stripped.startswith("import ("):
            in_block = True
        elif match := _GO_ONE.match(line):
            out.append(_go_import(match.group(1), match.group(2)))
    return out


def _go_import(alias: str | None, spec: str) -> Import:
    name = (alias or "").strip()
    return Import(spec, (), name if name not in ("", "_", ".") else spec.rsplit("/", 1)[-1])


# ----- Rust

_RS_USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([\w:]+?)(?:::\{([^}]*)\}|::\*)?\s*;")
_RS_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")


def _rust(lines: Sequence[str]) -> list[Import]:
    out: list[Import] = []
    for line in lines:
        if match := _RS_MOD.match(line):
            out.append(Import("self::" + match.group(1)))
        elif match := _RS_USE.match(line):
            path, group = match.groups()
            if group is not None:
                out.append(Import(path, _names(group)))
            elif "::" in path:
                module, _, name = path.rpartition("::")
                out.append(Import(module, (name,)))
    return out


_READERS = {
    "python": _python,
    **dict.fromkeys(
        ("javascript", "javascriptreact", "typescript", "typescriptreact", "vue", "svelte"),
        _javascript,
    ),
    "lua": _lua,
    "go": _go,
    "rust": _rust,
}

# ----- where an import may live

_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


def candidates(found: Import, importer: str, language_id: str) -> Candidates:
    """The files ``found`` may name, for a document at ``importer`` (an absolute path)."""
    directory = posixpath.dirname(importer)
    spec = found.spec
    if language_id == "python":
        return _python_candidates(found, directory)
    if language_id in _READERS and _READERS[language_id] is _javascript:
        if spec.startswith("."):
            base = posixpath.normpath(posixpath.join(directory, spec))
            return Candidates(paths=_js_files(base))
        if spec.startswith(("@/", "~/")):
            return Candidates(suffixes=_js_files(spec[2:]))
        return Candidates()
    if language_id == "lua":
        module = spec.replace(".", "/")
        return Candidates(suffixes=(module + ".lua", module + "/init.lua"))
    if language_id == "go":
        parts = spec.split("/")
        return Candidates(dir_suffixes=("/".join(parts[-2:]),) if len(parts) > 1 else (spec,))
    if language_id == "rust":
        return _rust_candidates(spec, importer)
    return Candidates()


def _js_files(base: str) -> tuple[str, ...]:
    stem = base[: -len(posixpath.splitext(base)[1])] if base.endswith((".js", ".jsx")) else base
    files = [stem + ext for ext in _JS_EXTENSIONS]
    files += [posixpath.join(base, "index" + ext) for ext in _JS_EXTENSIONS]
    if stem != base:
        files.insert(0, base)
    return tuple(files)


def _python_candidates(found: Import, directory: str) -> Candidates:
    spec = found.spec
    dots = len(spec) - len(spec.lstrip("."))
    module = spec[dots:].replace(".", "/")
    stems = [module] if module else []
    stems += [posixpath.join(module, name) if module else name for name in found.names]
    files = [f for stem in stems for f in (stem + ".py", posixpath.join(stem, "__init__.py"))]
    if not dots:
        return Candidates(suffixes=tuple(files))
    base = directory
    for _ in range(dots - 1):
        base = posixpath.dirname(base)
    if not module:
        files.append("__init__.py")
    return Candidates(paths=tuple(posixpath.join(base, f) for f in files))


def _rust_candidates(spec: str, importer: str) -> Candidates:
    parts = spec.split("::")
    head, rest = parts[0], parts[1:]
    name = posixpath.basename(importer)
    own_dir = posixpath.dirname(importer)
    # The directory of this module's children: src/a.rs -> src/a; src/a/mod.rs -> src/a.
    children = own_dir if name in ("mod.rs", "lib.rs", "main.rs") else importer[:-3]
    stems: list[str] = []
    if head in ("self", "super"):
        base = children if head == "self" else posixpath.dirname(children)
        while rest and rest[0] == "super":
            base, rest = posixpath.dirname(base), rest[1:]
        for end in range(len(rest), 0, -1):
            stems.append(posixpath.join(base, *rest[:end]))
        paths = [f for stem in stems for f in (stem + ".rs", stem + "/mod.rs")]
        return Candidates(paths=tuple(paths))
    if head == "crate":
        for end in range(len(rest), 0, -1):
            stems.append("/".join(rest[:end]))
        return Candidates(suffixes=tuple(f for s in stems for f in (s + ".rs", s + "/mod.rs")))
    return Candidates()

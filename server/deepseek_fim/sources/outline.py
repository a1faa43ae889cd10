"""A document's outline: its definitions as signature lines, one line each, pure Python.

The outline is what another file's completion needs to know of this one: the classes, functions,
methods, types, fields and constants it defines, each as the line that declares it (a signature
spread over several lines is joined into one), never a body. It is read with a few patterns per
language family and a scope stack (indentation for Python and Lua, bracket depth for the brace
languages), so it works for every file with no grammar installed; a definition inside a function
body is not part of the outline.

tree-sitter was weighed for this: its 1.x wheels download each grammar on first use (impossible
offline) and the grammar wheels are native, which the `.vsix` cannot bundle. The patterns below
find the definitions of the cross-file benchmark (bench/bench_cross_file.py) in Python, Lua and
TypeScript.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

logger = logging.getLogger(__name__)

Kind = Literal["class", "function", "method", "field", "constant", "type"]

# A signature joined over more lines than this is cut (its body follows anyway).
MAX_SIGNATURE_LINES = 8
# One outline line is cut at this many characters (a long initialiser, minified code).
MAX_LINE_CHARS = 160
# Files longer than this are outlined up to here: an outline is a summary, not an archive.
MAX_OUTLINE_LINES = 50_000


@dataclass(frozen=True)
class Definition:
    """One definition: its name, its signature as one line (with its indentation), where it is."""

    name: str
    text: str
    line: int
    kind: Kind
    # The enclosing class, interface, struct, impl or table of a member; None at top level.
    parent: str | None = None
    # False where the language keeps it to its file: a Lua ``local``, a top-level declaration
    # without ``export`` in an ES module.
    exported: bool = True

    @property
    def public(self) -> bool:
        """False for what other files cannot use: private names (``_x``, ``#x``), unexported."""
        return self.exported and public_name(self.name)


def public_name(name: str) -> bool:
    """False for a name its language keeps private by convention (``_x``, ``#x``)."""
    return not name.startswith(("_", "#"))


def outline(lines: Sequence[str], language_id: str) -> tuple[Definition, ...]:
    """The definitions of a document, in line order."""
    reader = _READERS.get(language_id, _GENERIC_READER)
    try:
        return tuple(reader(lines[:MAX_OUTLINE_LINES]))
    except Exception:  # a reader's bug must not cost the user their completions
        logger.warning("Outline failed for a %r document", language_id, exc_info=True)
        return ()


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS].rstrip() + " …"


# ----- strings and comments, removed before counting brackets

_PY_STRING = re.compile(r"""[rbfuRBFU]{0,2}('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""")
_C_STRING = re.compile(r"""'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`""")


def _bracket_delta(code: str) -> int:
    return (
        code.count("(")
        + code.count("[")
        + code.count("{")
        - code.count(")")
        - code.count("]")
        - code.count("}")
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


# ----- Python

_PY_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_PY_CLASS = re.compile(r"^\s*class\s+(\w+)")
_PY_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::\s*[^=]+?)?\s*=(?!=)")
_PY_ANNOTATED = re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*\S")
_PY_TRIPLE = re.compile(r"'''|\"\"\"")


def _python_code(line: str) -> str:
    code = _PY_STRING.sub("''", line)
    hash_at = code.find("#")
    return code if hash_at < 0 else code[:hash_at]


def _python(lines: Sequence[str]) -> list[Definition]:
    out: list[Definition] = []
    # (indent, kind, name) of the classes and functions enclosing the current line.
    scopes: list[tuple[int, str, str]] = []
    in_string: str | None = None
    depth = 0
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            index += 1
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        if depth > 0:  # a continuation line inside brackets
            depth = max(0, depth + _bracket_delta(_python_code(line)))
            index += 1
            continue
        indent = _indent(line)
        while scopes and indent <= scopes[-1][0]:
            scopes.pop()
        inside = scopes[-1][1] if scopes else "module"
        code = _python_code(line)
        first = index
        if match := _PY_DEF.match(line):
            text, index = _join_signature(lines, index, _python_code)
            if inside != "function":
                kind: Kind = "method" if inside == "class" else "function"
                parent = scopes[-1][2] if inside == "class" else None
                out.append(Definition(match.group(1), _cut(text), first, kind, parent))
            scopes.append((indent, "function", match.group(1)))
            continue
        if match := _PY_CLASS.match(line):
            text, index = _join_signature(lines, index, _python_code)
            if inside != "function":
                parent = scopes[-1][2] if inside == "class" else None
                out.append(Definition(match.group(1), _cut(text), first, "class", parent))
            scopes.append((indent, "class", match.group(1)))
            continue
        if inside != "function" and not stripped.startswith(("@", "return", "yield")):
            match = _PY_ASSIGN.match(line) or (
                _PY_ANNOTATED.match(line) if inside == "class" else None
            )
            if match and match.group(1) not in ("self", "cls"):
                kind = "field" if inside == "class" else "constant"
                parent = scopes[-1][2] if inside == "class" else None
                out.append(Definition(match.group(1), _cut(line.rstrip()), index, kind, parent))
        # Triple quotes are counted on the raw line: the string pattern above eats their pairs.
        triples = _PY_TRIPLE.findall(line)
        if len(triples) % 2 == 1:
            in_string = triples[-1]
        depth = max(0, _bracket_delta(code))
        index += 1
    return out


def _join_signature(
    lines: Sequence[str], index: int, code_of: Callable[[str], str]
) -> tuple[str, int]:
    """A signature that may span lines, as one line; and the index of the line after it.

    Lines are joined while brackets stay open (at most MAX_SIGNATURE_LINES); the text keeps the
    first line's indentation and its ``:``/``{``: the model reads it as code.
    """
    first = lines[index]
    parts = [first.rstrip()]
    depth = _bracket_delta(code_of(first))
    index += 1
    while depth > 0 and index < len(lines) and len(parts) < MAX_SIGNATURE_LINES:
        piece = lines[index].strip()
        depth += _bracket_delta(code_of(lines[index]))
        joiner = (
            "" if parts[-1].endswith(("(", "[", "{")) or piece.startswith((")", "]", "}")) else " "
        )
        parts.append(joiner + piece)
        index += 1
    text = "".join(parts)
    return text, index


# ----- Lua

_LUA_FUNCTION = re.compile(r"^(?:local\s+)?function\s+([\w.:]+)\s*\(")
_LUA_ASSIGNED_FUNCTION = re.compile(r"^(?:local\s+)?([\w.:]+)\s*=\s*function\b")
_LUA_LOCAL = re.compile(r"^local\s+([A-Za-z_]\w*)\s*(?:<\w+>)?\s*=\s*(.*)$")
_LUA_FIELD = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\s*=\s*(.*)$")
_LUA_TABLE_ENTRY = re.compile(r"^\s+([A-Za-z_]\w*)\s*=\s*(.*)$")
_LUA_ANNOTATION = re.compile(r"^---\s*@(class|alias|field|enum)\s+(?:\(\w+\)\s*)?([\w.]+)")


def _lua_code(line: str) -> str:
    code = _C_STRING.sub("''", line)
    dash = code.find("--")
    return code if dash < 0 else code[:dash]


def _split_lua_name(full: str) -> tuple[str, str | None]:
    for sep in (":", "."):
        if sep in full:
            parent, _, name = full.rpartition(sep)
            return name, parent
    return full, None


def _lua(lines: Sequence[str]) -> list[Definition]:
    out: list[Definition] = []
    table: str | None = None  # a top-level table constructor being read
    table_indent = -1
    last_class: str | None = None
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        if table is not None:
            if line.startswith("}"):
                table = None
            elif (match := _LUA_TABLE_ENTRY.match(line)) and (
                table_indent < 0 or _indent(line) == table_indent
            ):
                table_indent = _indent(line)
                kind: Kind = "method" if match.group(2).startswith("function") else "field"
                out.append(Definition(match.group(1), _cut(line.rstrip()), index, kind, table))
            index += 1
            continue
        if line.startswith("---"):
            if match := _LUA_ANNOTATION.match(line):
                tag, name = match.groups()
                if tag == "field" and last_class:
                    out.append(Definition(name, _cut(line.rstrip()), index, "field", last_class))
                elif tag != "field":
                    last_class = name
                    kind = "class" if tag == "class" else "type"
                    out.append(Definition(name, _cut(line.rstrip()), index, kind))
            index += 1
            continue
        if not line or line[0].isspace():
            index += 1
            continue
        first = index
        if match := _LUA_FUNCTION.match(line) or _LUA_ASSIGNED_FUNCTION.match(line):
            text, index = _join_signature(lines, index, _lua_code)
            name, parent = _split_lua_name(match.group(1))
            kind = "method" if parent else "function"
            local = line.startswith("local")
            out.append(Definition(name, _cut(text), first, kind, parent, exported=not local))
            continue
        match = _LUA_LOCAL.match(line) or _LUA_FIELD.match(line)
        if match and "require" not in match.group(2)[:12]:
            name, parent = _split_lua_name(match.group(1))
            value = match.group(2).strip()
            opens_table = _lua_code(value).rstrip().endswith("{")
            kind = "class" if opens_table else "field" if parent else "constant"
            local = line.startswith("local")
            out.append(
                Definition(name, _cut(line.rstrip()), index, kind, parent, exported=not local)
            )
            if opens_table:
                table = match.group(1)
                table_indent = -1
        index += 1
    return _lua_exports(lines, out)


_LUA_RETURN = re.compile(r"^return\s+([A-Za-z_]\w*)\s*$")


def _lua_exports(lines: Sequence[str], found: list[Definition]) -> list[Definition]:
    """The table a module returns is what other files use, though it is declared ``local``.

    Other ``local`` names stay inside the file; members of any table stay visible (a local
    class table's methods are called on its instances everywhere).
    """
    returned = None
    for line in reversed(lines[-50:]):
        if match := _LUA_RETURN.match(line):
            returned = match.group(1)
            break
        if line.strip():
            break
    return [
        replace(d, exported=True) if d.name == returned and d.parent is None else d for d in found
    ]


# ----- brace languages (JavaScript, TypeScript, Go, Rust, and a generic reader for the rest)

# What a line at a scope's own level declares: (name, kind, opens a container) or None.
Classifier = Callable[[str, str], "tuple[str, Kind, str | None] | None"]

_JS_MODIFIERS = (
    r"(?:(?:export|default|declare|abstract|async|public|private|protected|static|readonly|"
    r"override|get|set|accessor)\s+)*"
)
_JS_FUNCTION = re.compile(rf"^\s*{_JS_MODIFIERS}function\s*\*?\s*([\w$]+)")
_JS_CLASS = re.compile(rf"^\s*{_JS_MODIFIERS}(class|interface|enum|namespace|module)\s+([\w$.]+)")
_JS_CONST_ENUM = re.compile(rf"^\s*{_JS_MODIFIERS}const\s+enum\s+([\w$]+)")
_JS_TYPE = re.compile(rf"^\s*{_JS_MODIFIERS}type\s+([\w$]+)")
_JS_VARIABLE = re.compile(rf"^\s*{_JS_MODIFIERS}(?:const|let|var)\s+([\w$]+)\s*(.*)$")
_JS_EXPORTS = re.compile(r"^\s*(?:module\.)?exports\.([\w$]+)\s*=")
_JS_MEMBER_CALL = re.compile(rf"^\s*{_JS_MODIFIERS}\*?\s*([#\w$]+)\s*[?!]?\s*(?:<[^>]*>)?\s*\(")
_JS_MEMBER_FIELD = re.compile(rf"^\s*{_JS_MODIFIERS}([#\w$]+|\[[^\]]+\])\s*[?!]?\s*[:=]")
_JS_ENUM_MEMBER = re.compile(r"^\s*([\w$]+)\s*(?:=|,|$)")
_NOT_MEMBERS = frozenset(
    (
        "if", "for", "while", "switch", "return", "catch", "function", "new", "typeof", "await",
        "yield", "else", "do", "try", "throw", "super", "delete", "void", "case", "break",
        "continue", "const", "let", "var", "import", "export",
    )
)  # fmt: skip


def _js_kind(code: str, container: str) -> tuple[str, Kind, str | None] | None:
    if container in ("class", "interface", "type"):
        if match := _JS_MEMBER_CALL.match(code):
            name = match.group(1)
            if name not in _NOT_MEMBERS:
                return name, "method", None
            return None
        if match := _JS_MEMBER_FIELD.match(code):
            return match.group(1), "field", None
        return None
    if container == "enum":
        match = _JS_ENUM_MEMBER.match(code)
        return (match.group(1), "field", None) if match else None
    if container not in ("module", "namespace"):
        return None
    if match := _JS_FUNCTION.match(code):
        return match.group(1), "function", None
    if match := _JS_CONST_ENUM.match(code):
        return match.group(1), "type", "enum"
    if match := _JS_CLASS.match(code):
        word, name = match.groups()
        kind: Kind = "class" if word == "class" else "type"
        return name, kind, "namespace" if word in ("namespace", "module") else word
    if match := _JS_TYPE.match(code):
        return match.group(1), "type", "type"
    if match := _JS_VARIABLE.match(code):
        name, rest = match.groups()
        function = "=>" in rest or "function" in rest[:20]
        return name, "function" if function else "constant", None
    if match := _JS_EXPORTS.match(code):
        return match.group(1), "function", None
    return None


_GO_FUNC = re.compile(r"^func\s+(?:\(\s*\w*\s*\*?\s*([\w]+)[^)]*\)\s*)?([\w]+)")
_GO_TYPE = re.compile(r"^type\s+(\w+)(?:\[[^\]]*\])?\s+(struct|interface)?")
_GO_VALUE = re.compile(r"^(?:const|var)\s+(\w+)")
_GO_BLOCK = re.compile(r"^(const|var|type)\s*\($")
_GO_MEMBER = re.compile(r"^\s*([A-Za-z_]\w*)\b")


def _go_kind(code: str, container: str) -> tuple[str, Kind, str | None] | None:
    if container == "module":
        if match := _GO_FUNC.match(code):
            receiver, name = match.groups()
            return name, "method" if receiver else "function", None
        if match := _GO_BLOCK.match(code):
            return match.group(1), "type", "values"
        if match := _GO_TYPE.match(code):
            name, body = match.groups()
            return name, "type", body
        if match := _GO_VALUE.match(code):
            return match.group(1), "constant", None
        return None
    if container in ("struct", "interface", "values"):
        match = _GO_MEMBER.match(code)
        if match is None:
            return None
        kind: Kind = "method" if container == "interface" and "(" in code else "field"
        if container == "values":
            kind = "constant"
        return match.group(1), kind, None
    return None


_RS_VIS = r"(?:pub(?:\([^)]*\))?\s+)?"
_RS_FN = re.compile(
    rf"^\s*{_RS_VIS}(?:default\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?"
    r"(?:extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)"
)
_RS_TYPE = re.compile(rf"^\s*{_RS_VIS}(struct|enum|trait|union|mod|type)\s+(\w+)")
_RS_IMPL = re.compile(
    r"^\s*(?:unsafe\s+)?impl\b(?:\s*<[^>]*>)?\s+(?:[\w:<>, ]+?\s+for\s+)?([\w:]+)"
)
_RS_VALUE = re.compile(rf"^\s*{_RS_VIS}(?:const|static)\s+(?:mut\s+)?(\w+)")
_RS_MACRO = re.compile(r"^\s*macro_rules!\s*(\w+)")
_RS_FIELD = re.compile(rf"^\s*{_RS_VIS}(\w+)\s*:")
_RS_VARIANT = re.compile(r"^\s*([A-Z]\w*)\b")


def _rust_kind(code: str, container: str) -> tuple[str, Kind, str | None] | None:
    if container in ("module", "mod", "trait", "impl"):
        if match := _RS_FN.match(code):
            return match.group(1), "method" if container in ("trait", "impl") else "function", None
        if container in ("trait", "impl"):
            if match := _RS_VALUE.match(code):
                return match.group(1), "constant", None
            return None
        if match := _RS_IMPL.match(code):
            return match.group(1).rsplit("::", 1)[-1], "type", "impl"
        if match := _RS_TYPE.match(code):
            word, name = match.groups()
            kind: Kind = "type" if word in ("type", "mod") else "class"
            return name, kind, word
        if match := _RS_VALUE.match(code):
            return match.group(1), "constant", None
        if match := _RS_MACRO.match(code):
            return match.group(1), "function", None
        return None
    if container in ("struct", "union"):
        match = _RS_FIELD.match(code)
        return (match.group(1), "field", None) if match else None
    if container == "enum":
        match = _RS_VARIANT.match(code)
        return (match.group(1), "field", None) if match else None
    return None


_GENERIC_MODIFIERS = (
    r"(?:(?:public|private|protected|internal|static|final|abstract|override|open|sealed|data|"
    r"inline|suspend|export|pub|async|virtual|extern|unsafe|partial|readonly|lateinit|const)\s+)*"
)
_GENERIC_DECL = re.compile(
    rf"^\s*{_GENERIC_MODIFIERS}(def|fun|func|function|fn|class|struct|interface|trait|enum|"
    r"object|type|record|module|namespace|impl|protocol|extension|val|var|let|const)\s+"
    r"([\w$]+)"
)
_GENERIC_METHOD = re.compile(
    rf"^\s*{_GENERIC_MODIFIERS}(?:[\w<>\[\],.?*&:]+\s+)+[*&]?([A-Za-z_]\w*)\s*\([^;]*$"
)
_CONTAINER_WORDS = frozenset(
    (
        "class", "struct", "interface", "trait", "enum", "object", "record", "module",
        "namespace", "impl", "protocol", "extension",
    )
)  # fmt: skip


def _generic_kind(code: str, container: str) -> tuple[str, Kind, str | None] | None:
    if container not in ("module", "class"):
        return None
    if match := _GENERIC_DECL.match(code):
        word, name = match.groups()
        if word in _CONTAINER_WORDS:
            return name, "class", "class"
        if word in ("val", "var", "let", "const"):
            return name, "field" if container == "class" else "constant", None
        return name, "method" if container == "class" else "function", None
    if match := _GENERIC_METHOD.match(code):
        name = match.group(1)
        if name not in _NOT_MEMBERS:
            return name, "method" if container == "class" else "function", None
    return None


def _c_code(line: str, in_comment: bool) -> tuple[str, bool]:
    """The line without strings and comments; and whether a block comment is still open."""
    code = line
    if in_comment:
        end = code.find("*/")
        if end < 0:
            return "", True
        code = code[end + 2 :]
    code = _C_STRING.sub("''", code)
    while (start := code.find("/*")) >= 0:
        end = code.find("*/", start + 2)
        if end < 0:
            return code[:start], True
        code = code[:start] + code[end + 2 :]
    slash = code.find("//")
    return (code if slash < 0 else code[:slash]), False


def _brace_reader(classify: Classifier) -> Callable[[Sequence[str]], list[Definition]]:
    """A reader for brace languages: a scope per opened bracket, classified where it opens."""

    def read(lines: Sequence[str]) -> list[Definition]:
        out: list[Definition] = []
        # (bracket depth inside the scope, container kind, name) of enclosing scopes.
        scopes: list[tuple[int, str, str]] = [(0, "module", "")]
        depth = 0
        in_comment = False
        index = 0
        count = len(lines)
        while index < count:
            line = lines[index]
            code, in_comment_after = _c_code(line, in_comment)
            starts_in_comment = in_comment
            in_comment = in_comment_after
            if starts_in_comment or not code.strip():
                depth = max(0, depth + _bracket_delta(code))
                index += 1
                continue
            while len(scopes) > 1 and depth < scopes[-1][0]:
                scopes.pop()
            inner, container, parent = scopes[-1]
            found = classify(code, container) if depth == inner else None
            if found is None:
                depth = max(0, depth + _bracket_delta(code))
                index += 1
                continue
            name, kind, opens = found
            first = index
            text = line.rstrip()
            delta = _bracket_delta(code)
            # A signature spread over lines: join while its parentheses stay open.
            while (
                code.count("(") > code.count(")")
                and index + 1 < count
                and index - first < MAX_SIGNATURE_LINES
            ):
                index += 1
                more, in_comment = _c_code(lines[index], in_comment)
                code += more
                delta += _bracket_delta(more)
                piece = lines[index].strip()
                joiner = "" if text.endswith(("(", "[", "{")) or piece.startswith(")") else " "
                text += joiner + piece
            out.append(Definition(name, _cut(text), first, kind, parent or None))
            if delta > 0:
                scopes.append((depth + delta, opens or "body", name if opens else ""))
            depth = max(0, depth + delta)
            index += 1
        return out

    return read


def _es_module(
    read: Callable[[Sequence[str]], list[Definition]],
) -> Callable[[Sequence[str]], list[Definition]]:
    """In a file that exports with ``export``, top-level declarations without it stay inside."""

    def outline_module(lines: Sequence[str]) -> list[Definition]:
        found = read(lines)
        top = [d for d in found if d.parent is None]
        if not any(d.text.lstrip().startswith("export") for d in top):
            return found  # a script or CommonJS: no way to tell, keep everything
        return [
            replace(d, exported=False)
            if d.parent is None and not d.text.lstrip().startswith(("export", "declare"))
            else d
            for d in found
        ]

    return outline_module


_GENERIC_READER = _brace_reader(_generic_kind)
_READERS: dict[str, Callable[[Sequence[str]], list[Definition]]] = {
    "python": _python,
    "lua": _lua,
    **dict.fromkeys(
        ("javascript", "javascriptreact", "typescript", "typescriptreact", "vue", "svelte"),
        _es_module(_brace_reader(_js_kind)),
    ),
    "go": _brace_reader(_go_kind),
    "rust": _brace_reader(_rust_kind),
}

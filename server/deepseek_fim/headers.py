"""Block headers that only some languages have: which lines open a block whose body follows.

`syntax.py` reads what every language shares (a trailing ``{``/``:``/``do``, a leading ``def``,
``fun``, ``if``...). Some headers read as something else in another language, so they are
recognised only for the languages that have them:

- CSS/SCSS/Less: a selector (``.card``, ``&__item``, ``a:hover``, ``@media ...``) is a rule's
  header; a declaration (``color: red``) is not.
- C, C++, Java, C#, Dart...: a method or constructor signature (``public Person(string name``,
  ``static double area(double r)``), whose ``{`` may come on the next line (Allman style).
- JavaScript/TypeScript/Vue: an object or class method's name (``greet``, ``async load()``,
  ``private area(): number``).
- F#, OCaml, Haskell, Elm, Scala: a binding ending in ``=``, a ``match ... with``, an arm or a
  lambda ending in ``->``; Haskell's ``where``/``of``; Julia's ``let``.

Used by the line/block decision (`modes.py`) and by the post-processing steps that ask whether
a completed line is a header.
"""

from __future__ import annotations

import logging
import re

from deepseek_fim import syntax

logger = logging.getLogger(__name__)

CSS_LANGUAGES = frozenset(("css", "scss", "less", "postcss"))
# Languages whose methods are declared as ``<modifiers> <type> <name>(<parameters>)``.
C_SIGNATURE_LANGUAGES = frozenset(
    ("c", "cpp", "objective-c", "objective-cpp", "java", "csharp", "dart", "groovy", "d", "vala")
)
JS_LANGUAGES = frozenset(
    ("javascript", "typescript", "javascriptreact", "typescriptreact", "vue", "svelte", "astro")
)
# Single-file components, whose `methods: {...}` objects hold methods by name.
_COMPONENT_LANGUAGES = frozenset(("vue", "svelte"))
# Languages where a trailing ``=`` starts a body (``let area shape =``), and ``->`` an arm's.
ML_LANGUAGES = frozenset(("fsharp", "ocaml", "haskell", "elm", "purescript", "scala"))
_ARROW_LANGUAGES = ML_LANGUAGES | {"elixir", "erlang"}

# A declaration: ``color: red``, ``--gap: 4px``, ``$base: 1rem``, ``@link: blue`` (Less).
_CSS_DECLARATION = re.compile(r"^[-\w$@]+\s*:(?:\s|$)")
_CSS_WORD = re.compile(r"^[a-z-]+$")
_CSS_SELECTOR_START = re.compile(r"^[.#&*:\[>+~@%\w-]")

_C_MODIFIERS = frozenset(
    (
        "public", "private", "protected", "internal", "static", "final", "abstract", "virtual",
        "override", "sealed", "async", "extern", "unsafe", "new", "partial", "readonly",
        "synchronized", "native", "strictfp", "default", "inline", "constexpr", "explicit",
        "friend", "const", "volatile", "transient", "unsigned", "signed", "struct",
    )
)  # fmt: skip
# Words that make ``<word> <name>(`` a statement, not a signature.
_C_STATEMENT_WORDS = frozenset(
    (
        "return", "throw", "await", "yield", "else", "case", "goto", "delete", "sizeof", "typeof",
        "using", "lock", "if", "for", "foreach", "while", "switch", "catch", "do", "in", "is", "as",
        "not", "and", "or", "echo", "print", "assert",
    )
)  # fmt: skip
# ``<words and types> <name>(<parameters, maybe unfinished>`` with nothing that makes it code.
_C_SIGNATURE = re.compile(
    r"^(?P<head>(?:[^\s()=;{}\"'`]+\s+)+)[*&]*(?P<name>[A-Za-z_~][\w]*)\s*\((?P<rest>[^;={}\"'`]*)$"
)
_C_TRAILER = re.compile(r"^(?:throws\b|const\b|noexcept\b|override\b|:|where\b)")
_JS_MODIFIERS = r"(?:async|static|get|set|public|private|protected|readonly|override|abstract)"
# ``greet``, ``async load()``, ``*items()``, ``private area(r: number): number``.
_JS_METHOD = re.compile(
    rf"^\s+(?P<mods>(?:{_JS_MODIFIERS}\s+)*)\*?(?P<name>[A-Za-z_$#][\w$]*)"
    r"(?P<params>\s*\([^()]*\)?(?:\s*:\s*[^=;{}()]+)?)?$"
)
# Modifiers that only a method (or accessor) has; `private name` may be a field.
_JS_METHOD_WORDS = frozenset(("async", "get", "set", "static"))
_JS_STATEMENT_WORDS = frozenset(
    (
        "return", "break", "continue", "throw", "const", "let", "var", "if", "else", "for",
        "while", "do", "switch", "case", "default", "new", "await", "yield", "typeof", "delete",
        "import", "export", "try", "catch", "finally", "debugger", "this", "super", "null",
        "true", "false", "undefined", "void", "function", "class",
    )
)  # fmt: skip
_ML_END = re.compile(r"(?:(?<![=<>!:])=|->|\bwith|\bfunction|\bwhere|\bof|\bthen|\belse)$")
_JULIA_LET = re.compile(r"^\s*let\b")


def opens_block(line: str, language_id: str = "") -> bool:
    """True when ``line`` ends a block header in ``language_id`` (its body follows)."""
    language = language_id.lower()
    code = line.rstrip()
    if language in CSS_LANGUAGES:
        # `margin:` waits for a value and `#main` is a selector, not a comment.
        return _css_selector(code) or code.endswith(("{", "(", "["))
    if syntax.opens_block(line):
        return True
    code = syntax.strip_line_comment(code).rstrip()
    if language in ML_LANGUAGES and _ML_END.search(code):
        return True
    return language in _ARROW_LANGUAGES and code.endswith("->")


def starts_block(line: str, language_id: str = "") -> bool:
    """True when ``line`` (all of it, or its start up to the cursor) begins a construct."""
    if syntax.starts_construct(line):
        return True
    language = language_id.lower()
    code = syntax.strip_line_comment(line).rstrip()
    if language in C_SIGNATURE_LANGUAGES:
        return c_signature(code)
    if language in JS_LANGUAGES:
        return js_method(code, bare_name=language in _COMPONENT_LANGUAGES)
    if language == "julia":
        return bool(_JULIA_LET.match(code))
    return False


def is_header(line: str, language_id: str = "") -> bool:
    """True when ``line`` opens a block or starts a construct with a body."""
    return opens_block(line, language_id) or starts_block(line, language_id)


def _css_selector(code: str) -> bool:
    """A selector (or an at-rule) waiting for its ``{``: not a declaration, not finished.

    An indented bare word (``  color``) is a property being typed, not a nested selector.
    """
    text = code.strip()
    if syntax.indent_of(code) and _CSS_WORD.match(text):
        return False
    if "(" in text and not text.startswith("@") and ":" not in text:
        return False  # a value's continuation (`linear-gradient(45deg, ...`), not a selector
    if not text or text[-1] in ";{}," or "/*" in text:
        return False
    if _CSS_DECLARATION.match(text) or not _CSS_SELECTOR_START.match(text):
        return False
    return not text.startswith(("@import", "@use", "@forward", "@charset", "@include"))


def c_signature(code: str) -> bool:
    """``public Person(string name, int`` / ``static double area(double r)``: a signature."""
    found = _C_SIGNATURE.match(code.strip())
    if found is None:
        return False
    words = found.group("head").split()
    if any(word.strip("*&") in _C_STATEMENT_WORDS for word in words):
        return False
    if found.group("name") in _C_STATEMENT_WORDS:
        return False
    rest = found.group("rest")
    if ")" in rest:
        # After the parameters only a trailer may follow (``throws X``, ``const``, ``: base(x)``).
        trailer = rest[rest.rindex(")") + 1 :].strip()
        if trailer and not _C_TRAILER.match(trailer):
            return False
    return bool(words)


def js_method(code: str, *, bare_name: bool = False) -> bool:
    """An object or class method's name, with what shows it is one.

    That is ``async``/``get``/``set``/``static`` in front, or typed parameters (``area(r:
    number): number``). ``bare_name``: a name alone (``greet``) counts too. It is a method in a
    Vue component's ``methods`` object, but the first word of a statement or a field in a plain
    script or class: asked for as a block there, while typing, it costs output tokens for
    nothing (bench/bench_mode_tokens.py measured +30% in JavaScript, +68% in TypeScript).
    """
    found = _JS_METHOD.match(code)
    if found is None or found.group("name") in _JS_STATEMENT_WORDS:
        return False
    params = found.group("params")
    modifiers = set(found.group("mods").split())
    if params is None:
        return bare_name or bool(modifiers & _JS_METHOD_WORDS)
    return bool(modifiers) or bool(re.search(r"\)\s*:", params))

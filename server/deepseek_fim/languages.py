"""Language facts the prompt needs: comment syntax by language id, language id by file extension."""

from __future__ import annotations

import logging
import posixpath

logger = logging.getLogger(__name__)

_HASH = ("#", "")
_SLASH = ("//", "")
_DASH = ("--", "")
_SEMI = (";", "")

# LSP language ids (as VS Code and Neovim send them) -> (line opener, line closer).
COMMENT_SYNTAX: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        (
            "python", "ruby", "shellscript", "sh", "bash", "zsh", "fish", "perl", "r", "yaml",
            "toml", "dockerfile", "makefile", "make", "cmake", "elixir", "julia", "powershell",
            "nim", "crystal", "coffeescript", "gitignore", "ini", "conf", "starlark", "terraform",
            "hcl", "nix", "graphql", "awk", "tcl",
        ),
        _HASH,
    ),
    **dict.fromkeys(
        (
            "javascript", "javascriptreact", "typescript", "typescriptreact", "java", "c", "cpp",
            "objective-c", "objective-cpp", "csharp", "go", "rust", "kotlin", "swift", "scala",
            "dart", "php", "groovy", "zig", "proto", "jsonc", "json5", "solidity", "d", "v",
            "vue", "svelte", "glsl", "hlsl", "odin", "typst", "scss", "less",
        ),
        _SLASH,
    ),
    **dict.fromkeys(("lua", "sql", "haskell", "elm", "ada", "vhdl", "agda", "purescript"), _DASH),
    **dict.fromkeys(("lisp", "clojure", "scheme", "racket", "fennel", "commonlisp", "asm"), _SEMI),
    **dict.fromkeys(("erlang", "latex", "tex", "matlab", "octave", "prolog", "bibtex"), ("%", "")),
    **dict.fromkeys(("html", "xml", "markdown", "svg", "xsl", "astro"), ("<!--", " -->")),
    "css": ("/*", " */"),
    "ocaml": ("(*", " *)"),
    "fsharp": ("//", ""),
    "vim": ('"', ""),
    "fortran": ("!", ""),
    "vb": ("'", ""),
    "bat": ("REM", ""),
}  # fmt: skip

DEFAULT_COMMENT_SYNTAX: tuple[str, str] = _SLASH

# File extension (lower case, with the dot) or exact base name -> LSP language id.
EXTENSION_LANGUAGES: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascriptreact",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescriptreact",
    ".lua": "lua", ".go": "go", ".rs": "rust", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".m": "objective-c", ".mm": "objective-cpp", ".cs": "csharp", ".java": "java",
    ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift", ".scala": "scala", ".dart": "dart",
    ".php": "php", ".rb": "ruby", ".sh": "shellscript", ".bash": "shellscript",
    ".zsh": "shellscript", ".fish": "fish", ".pl": "perl", ".pm": "perl", ".r": "r",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json", ".jsonc": "jsonc",
    ".sql": "sql", ".hs": "haskell", ".elm": "elm", ".ex": "elixir", ".exs": "elixir",
    ".erl": "erlang", ".jl": "julia", ".ps1": "powershell", ".clj": "clojure",
    ".scm": "scheme", ".rkt": "racket", ".lisp": "lisp", ".el": "lisp", ".fnl": "fennel",
    ".vim": "vim", ".html": "html", ".htm": "html", ".xml": "xml", ".svg": "svg",
    ".md": "markdown", ".markdown": "markdown", ".css": "css", ".scss": "scss", ".less": "less",
    ".vue": "vue", ".svelte": "svelte", ".astro": "astro", ".ml": "ocaml", ".mli": "ocaml",
    ".fs": "fsharp", ".fsx": "fsharp", ".tex": "latex", ".zig": "zig", ".nim": "nim",
    ".proto": "proto", ".sol": "solidity", ".tf": "terraform", ".hcl": "hcl", ".nix": "nix",
    ".graphql": "graphql", ".gql": "graphql", ".f90": "fortran", ".vb": "vb", ".bat": "bat",
    ".cmd": "bat", ".groovy": "groovy", ".gradle": "groovy", ".ini": "ini", ".cfg": "ini",
    ".cmake": "cmake", ".mk": "makefile", ".awk": "awk", ".tcl": "tcl",
    "dockerfile": "dockerfile", "makefile": "makefile", "gnumakefile": "makefile",
    "cmakelists.txt": "cmake", ".gitignore": "gitignore",
}  # fmt: skip


def comment_syntax(language_id: str) -> tuple[str, str]:
    """Line comment opener and closer for an LSP language id (``//`` when unknown)."""
    return COMMENT_SYNTAX.get(language_id.lower(), DEFAULT_COMMENT_SYNTAX)


def comment_prefix(language_id: str) -> str:
    """The line comment opener for an LSP language id (``#``, ``//``, ``--``, ...)."""
    return comment_syntax(language_id)[0]


def comment_line(language_id: str, text: str) -> str:
    """``text`` as one line comment in the language's syntax (no line terminator)."""
    opener, closer = comment_syntax(language_id)
    body = f"{opener} {text}" if text else opener
    return f"{body}{closer}"


def language_from_path(path: str) -> str | None:
    """The LSP language id a file path suggests, or None when the extension is unknown."""
    base = posixpath.basename(path.replace("\\", "/")).lower()
    if base in EXTENSION_LANGUAGES:
        return EXTENSION_LANGUAGES[base]
    _, ext = posixpath.splitext(base)
    return EXTENSION_LANGUAGES.get(ext)

"""Files never sent (exclude patterns) and secrets masked inside text that is sent.

Masking keeps every line break, so line numbers and the cursor position stay valid.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pathspec

logger = logging.getLogger(__name__)

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "*secret*",
    "*credential*",
)

MASK = "<masked>"


@dataclass(frozen=True)
class ExcludeRule:
    """One gitignore-style pattern (pathspec), with its sign and what it is matched against."""

    spec: pathspec.GitIgnoreSpec
    negated: bool  # "!pattern": a later match takes the file back in
    file_name_only: bool  # no slash in the pattern: a file-name pattern, never a directory's


def compile_rules(patterns: Iterable[str]) -> tuple[ExcludeRule, ...]:
    """Compile gitignore-style lines; blank lines and `#` comments are skipped.

    A pattern without a slash (`*secret*`, `.env*`) matches file names only, so a directory
    called `secret-santa/` does not exclude the files in it. A pattern with a slash names a
    path (`config/*.json`, `private/`, `**/fixtures/**`) and has gitignore's meaning, which
    includes everything under a matching directory. Matching ignores case.
    """
    rules = []
    for raw in patterns:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = (line[1:] if negated else line).replace("\\", "/").lower()
        if not body:
            continue
        rules.append(
            ExcludeRule(pathspec.GitIgnoreSpec.from_lines([body]), negated, "/" not in body)
        )
    return tuple(rules)


def rules_verdict(rules: Sequence[ExcludeRule], paths: Sequence[str]) -> bool | None:
    """True (excluded), False (taken back in by a `!` pattern) or None (no rule matches).

    `paths` are the file's path relative to where the rules apply, lower-cased, or several
    candidates (any may match); the last matching rule wins, as in gitignore.
    """
    if not paths:
        return None
    base = posixpath.basename(paths[0])
    verdict = None
    for rule in rules:
        if rule.file_name_only:
            matched = rule.spec.match_file(base)
        else:
            matched = any(rule.spec.match_file(path) for path in paths)
        if matched:
            verdict = not rule.negated
    return verdict


@functools.lru_cache(maxsize=32)
def _setting_rules(globs: tuple[str, ...]) -> tuple[ExcludeRule, ...]:
    return compile_rules(globs)


def is_excluded(path: str, globs: Sequence[str] = DEFAULT_EXCLUDE) -> bool:
    """True when ``path`` matches the `exclude` setting's globs (see `compile_rules`).

    The setting knows no project root: a pattern with a slash is matched against every tail of
    the path (`config/*.json` excludes `/home/me/app/config/keys.json`).
    """
    normalized = path.replace("\\", "/")
    if normalized.startswith("file://"):
        normalized = normalized[len("file://") :]
    full = normalized.lower().lstrip("/")
    tails = [full] + [full[i + 1 :] for i, ch in enumerate(full) if ch == "/"]
    return rules_verdict(_setting_rules(tuple(globs)), tails) is True


_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
    r".*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)
# A window may start inside a key block: mask from the start of the text up to its end marker.
_KEY_BLOCK_TAIL = re.compile(r"\A[A-Za-z0-9+/=\s]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_TOKENS = re.compile(
    r"\b(?:"
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{40,}"  # GitHub fine-grained tokens
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"  # DeepSeek / OpenAI / Anthropic style keys
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r")"
)
# The name must end with the keyword: ``db_password`` and ``API_TOKEN`` are masked,
# ``token_type`` and ``password_prompt`` are not.
_SENSITIVE_NAME = (
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|secret[_-]?key)"
)
# Searched in the lower-cased text: much faster than re.IGNORECASE on every line.
_SENSITIVE_WORD = re.compile(
    r"passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
)
# name = "value", name: 'value', "name": "value", NAME="value" (not empty, not a placeholder).
_ASSIGNED = re.compile(
    rf"(?P<name>[\"']?{_SENSITIVE_NAME}[\"']?(?:\s*:\s*[A-Za-z_][\w\[\]., |]*?)?\s*(?::=|=|:)\s*)"
    r"(?P<quote>[\"'`])(?P<value>[^\"'`\n]{4,})(?P=quote)",
    re.IGNORECASE,
)
# Unquoted shell/.env style: ``TOKEN=abc123`` alone on its line (no blanks around ``=``).
_ENV_ASSIGNED = re.compile(
    rf"^(?P<name>[ \t]*(?:export[ \t]+)?{_SENSITIVE_NAME}=)"
    r"(?P<value>[A-Za-z0-9_\-+/=.:@]{4,})(?=[ \t]*(?:#.*)?$)",
    re.IGNORECASE | re.MULTILINE,
)
_PLACEHOLDER_VALUES = frozenset(("none", "null", "true", "false", "changeme", "xxx", "xxxx"))


def _keep_breaks(match: re.Match[str]) -> str:
    return MASK + "\n" * match.group().count("\n")


def _mask_assigned(match: re.Match[str]) -> str:
    value = match.group("value")
    if _looks_like_code(value):
        return match.group()
    quote = match.group("quote")
    return f"{match.group('name')}{quote}{MASK}{quote}"


def _mask_env(match: re.Match[str]) -> str:
    value = match.group("value")
    if _looks_like_code(value):
        return match.group()
    return f"{match.group('name')}{MASK}"


def _looks_like_code(value: str) -> bool:
    """Values that are not secrets: placeholders, templates, lookups, constants."""
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDER_VALUES or lowered == MASK:
        return True
    if any(marker in value for marker in ("{{", "${", "%(", "<", "os.environ", "getenv")):
        return True
    if value.startswith(("$", "%")) or set(lowered) <= {"*", "x", "."}:
        return True
    # Enum-like constants ("NUMBER", "STRING_LITERAL") in lexers are not secrets.
    return value.isupper() and value.replace("_", "").isalpha()


def mask_secrets(text: str) -> str:
    """``text`` with private keys, cloud/API tokens and assigned secrets replaced by ``<masked>``.

    Line breaks are preserved, so the number of lines does not change.
    """
    if not text:
        return text
    masked = _KEY_BLOCK_TAIL.sub(_keep_breaks, text) if "-----END" in text else text
    masked = _KEY_BLOCK.sub(_keep_breaks, masked)
    masked = _TOKENS.sub(MASK, masked)
    return _mask_assignments(masked)


def _mask_assignments(text: str) -> str:
    """Run the assignment patterns only on lines that contain a sensitive word (fast path)."""
    pieces: list[str] = []
    done = 0
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    for hit in _SENSITIVE_WORD.finditer(lowered):
        if hit.start() < done:
            continue
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        end = len(text) if end < 0 else end
        line = _ASSIGNED.sub(_mask_assigned, text[start:end])
        pieces.append(text[done:start])
        pieces.append(_ENV_ASSIGNED.sub(_mask_env, line))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


class LineMasker:
    """`mask_secrets` with a per-line memory, for windows that mostly repeat between requests.

    Consecutive prompts share most of their lines (the window moves by a few lines, the cursor
    line changes), so each distinct line is masked once. Every pattern of `mask_secrets` lies
    within one line except key blocks: text with a key block in it is masked whole. Either way
    the result equals `mask_secrets(text)`.
    """

    def __init__(self, max_lines: int = 20_000) -> None:
        """Remember at most max_lines masked lines (then start over)."""
        self._masked: dict[str, str] = {}
        self._max_lines = max_lines

    def mask(self, text: str) -> str:
        """Return `mask_secrets(text)`, reusing lines masked before."""
        if "PRIVATE KEY" in text:
            return mask_secrets(text)
        return "\n".join(self._mask_lines(text.split("\n"), uncached=-1))

    def mask_around_cursor(self, prompt: str, suffix: str) -> tuple[str, str]:
        """Mask prompt + suffix as the model reads them, one text, then split at the cursor.

        Masked apart, a secret the cursor splits (a password typed between auto-closed quotes)
        matches no pattern in either half, and both halves would leave the machine. A secret
        that covers the cursor goes whole, as the mask, into the prompt.
        """
        text = prompt + suffix
        cursor_line = prompt.count("\n")
        cursor_col = len(prompt) - (prompt.rfind("\n") + 1)
        original = text.split("\n")
        if "PRIVATE KEY" in text:
            masked = mask_secrets(text).split("\n")
        else:
            # The cursor line changes with every keystroke: remembering it only fills memory.
            masked = self._mask_lines(original, uncached=cursor_line)
        if len(masked) != len(original):  # masking keeps line breaks; never split blindly
            raise RuntimeError("masking changed the number of lines")
        cut = _cursor_after_masking(original[cursor_line], masked[cursor_line], cursor_col)
        line = masked[cursor_line]
        return (
            "\n".join([*masked[:cursor_line], line[:cut]]),
            "\n".join([line[cut:], *masked[cursor_line + 1 :]]),
        )

    def _mask_lines(self, lines: list[str], *, uncached: int) -> list[str]:
        if len(self._masked) > self._max_lines:
            self._masked.clear()
        memory = self._masked
        out = []
        for index, line in enumerate(lines):
            if index == uncached:
                out.append(mask_secrets(line))
                continue
            masked = memory.get(line)
            if masked is None:
                masked = memory[line] = mask_secrets(line)
            out.append(masked)
        return out


def _cursor_after_masking(original: str, masked: str, col: int) -> int:
    """Where the cursor at `col` of `original` lies in `masked` (the same line, masked).

    Masking replaces spans by MASK and keeps the text between them: walk the kept pieces in
    both lines. A cursor in kept text keeps its place in it; a cursor inside a masked span goes
    after that span's mask (the prompt gets the mask, never a piece of the secret).
    """
    if original == masked:
        return col
    pieces = masked.split(MASK)
    kept_end = len(pieces[0])  # in original: where the first masked span starts
    if col <= kept_end:
        return col
    out = kept_end  # in masked: where the current mask starts
    for index, piece in enumerate(pieces[1:], start=1):
        if index == len(pieces) - 1:
            piece_start = len(original) - len(piece)
        else:
            piece_start = original.find(piece, kept_end + 1)
        after_mask = out + len(MASK)
        if piece_start < 0:
            break
        if col <= piece_start:
            return after_mask
        if col <= piece_start + len(piece):
            return after_mask + col - piece_start
        kept_end = piece_start + len(piece)
        out = after_mask + len(piece)
    return len(masked)

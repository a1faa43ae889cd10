"""The `deepseek-fim` command: one-shot completion, a doctor that explains setup problems, usage.

`complete` runs the same pipeline as the language server (context, DeepSeek call, post-processing,
ledger); `doctor` checks the key, base URL, model and connectivity and says what is wrong in plain
words; `usage` prints the budget from the ledger without a key and without a server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from deepseek_fim import __version__
from deepseek_fim import settings as settings_mod
from deepseek_fim.deepseek import (
    AuthFailed,
    DeepSeekClient,
    DeepSeekError,
    FimRequest,
    InsufficientBalance,
    resolve_model,
    validate_base_url,
)
from deepseek_fim.documents import DocumentStore, split_lines
from deepseek_fim.languages import language_from_path
from deepseek_fim.settings import Settings

NO_KEY_HELP = (
    "not set. Create one at https://platform.deepseek.com/api_keys (new accounts get a free "
    "grant of about USD 8.40, advertised as 5M tokens, for 30 days) and export DEEPSEEK_API_KEY"
)


def _settings_from_args(args: argparse.Namespace) -> Settings:
    current = settings_mod.from_environment()
    overrides: dict[str, Any] = {}
    if getattr(args, "base_url", None):
        overrides["base_url"] = args.base_url
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return replace(current, **overrides)


class UsageError(Exception):
    """A command line argument that cannot be used: one message, exit code 2."""


def _parse_location(location: str) -> tuple[Path, int, int]:
    """Split FILE:LINE:COL (1-based line and column, as compilers print them)."""
    parts = location.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not (parts[1].isdecimal() and parts[2].isdecimal()):
        raise UsageError(f"expected FILE:LINE:COL with a 1-based line and column, got {location!r}")
    path, line, col = parts
    if int(line) < 1 or int(col) < 1:
        raise UsageError(f"line and column count from 1, got {line}:{col}")
    return Path(path), int(line), int(col)


def _check_position(path: Path, lines: list[str], line: int, col: int) -> None:
    """Refuse a position outside the file rather than complete somewhere else."""
    if line > len(lines):
        raise UsageError(f"{path} has {len(lines)} line(s); line {line} is past its end")
    if col > len(lines[line - 1]) + 1:
        raise UsageError(
            f"line {line} of {path} has {len(lines[line - 1])} character(s); column {col} is "
            f"past its end (the last column is {len(lines[line - 1]) + 1})"
        )


def _check_ledger(data_dir: str) -> str | None:
    """Why the ledger cannot record this run's usage, or None: checked before anything is sent."""
    from deepseek_fim.budget.ledger import Ledger, LedgerError

    try:
        with Ledger(data_dir) as ledger:
            ledger.check()
    except (LedgerError, OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        return str(exc)
    return None


async def _complete(settings: Settings, location: str) -> int:
    from deepseek_fim.service import CompletionService

    path, line, col = _parse_location(location)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"deepseek-fim complete: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    _check_position(path, split_lines(text), line, col)
    if settings.api_key and (problem := _check_ledger(settings.data_dir)) is not None:
        print(
            f"deepseek-fim complete: cannot record usage in {settings.data_dir}: {problem}. "
            "Nothing was sent. Move the ledger away (a new one is created) or pass --data-dir.",
            file=sys.stderr,
        )
        return 1
    documents = DocumentStore()
    uri = path.resolve().as_uri()
    documents.open(uri, language_from_path(str(path)) or "plaintext", 1, text)
    messages: list[str] = []
    service = CompletionService(
        settings,
        documents,
        show_message=lambda message, kind: messages.append(message),
        budget_changed=lambda: None,
    )
    try:
        document = documents.get(uri)
        assert document is not None
        line_text = document.lines[line - 1]
        utf16 = len(line_text[: col - 1].encode("utf-16-le")) // 2
        completion = await service.complete(uri, line - 1, utf16, debounce=False)
        service.budget.flush()
        for message in messages:
            print(message, file=sys.stderr)
        for message, _kind in service.budget.take_messages():
            print(message, file=sys.stderr)
        if service.budget.ledger_is_private:
            # The row went to a private ledger that nothing will read again: say it, and fail.
            return 1
        if completion is None:
            payload = service.budget.payload()
            reason = payload.get("message") or f"state: {payload.get('state')}"
            print(f"no completion ({reason})", file=sys.stderr)
            return 1
        sys.stdout.write(completion.text + "\n")
        return 0
    finally:
        await service.aclose()


async def _doctor(settings: Settings) -> int:
    """Check each piece of the setup in order and say what is wrong."""
    problems = 0

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"[{'ok' if ok else 'FAIL'}] {what}: {detail}")

    report(
        bool(settings.api_key),
        "API key",
        "set" if settings.api_key else NO_KEY_HELP,
    )
    try:
        validate_base_url(settings.base_url)
        report(True, "base URL", settings.base_url)
    except ValueError as exc:
        report(False, "base URL", str(exc))
        return 1
    if not settings.api_key:
        return 1
    client = DeepSeekClient(settings.base_url, settings.api_key, timeout=15.0)
    try:
        try:
            started = time.monotonic()
            models = await client.list_models()
            report(
                True,
                "connectivity",
                f"GET /models answered in {(time.monotonic() - started) * 1000:.0f} ms",
            )
        except AuthFailed:
            report(False, "API key", "DeepSeek refused the key (401): check it or create a new one")
            return 1
        except DeepSeekError as exc:
            report(False, "connectivity", exc.message)
            return 1
        if settings.model == "auto":
            model = resolve_model(models)
            report(
                model is not None,
                "model",
                f"auto -> {model}" if model else f"no FIM model among {', '.join(models)}",
            )
        else:
            model = settings.model
            report(
                model in models,
                "model",
                model if model in models else f"{model} is not offered ({', '.join(models)})",
            )
        try:
            balance = await client.balance()
            amounts = ", ".join(f"{i.total} {i.currency}" for i in balance.infos) or "none"
            report(balance.is_available, "balance", f"{amounts}; available: {balance.is_available}")
        except DeepSeekError as exc:
            report(False, "balance", exc.message)
        if model is not None:
            try:
                started = time.monotonic()
                await client.complete(
                    FimRequest(model, "def add(a, b):\n    return", "\n", 4, 0.0, ("\n",))
                )
                report(
                    True,
                    "FIM",
                    f"/beta/completions answered in {(time.monotonic() - started) * 1000:.0f} ms",
                )
            except InsufficientBalance:
                report(False, "FIM", "402: the grant is used up or expired; top up to continue")
            except DeepSeekError as exc:
                report(False, "FIM", exc.message)
    finally:
        await client.aclose()
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1


def main(argv: list[str] | None = None) -> None:
    """Run the `deepseek-fim` command line."""
    parser = argparse.ArgumentParser(prog="deepseek-fim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"deepseek-fim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    complete = sub.add_parser("complete", help="print the completion at FILE:LINE:COL (1-based)")
    complete.add_argument("location")
    doctor = sub.add_parser("doctor", help="check key, base URL, model and connectivity")
    usage = sub.add_parser("usage", help="print the token budget from the ledger")
    usage.add_argument("--json", action="store_true", help="machine-readable output")
    for command in (complete, doctor, usage):
        command.add_argument("--base-url", help="default: $DEEPSEEK_BASE_URL or the official API")
        command.add_argument("--data-dir", help="ledger directory (default $DEEPSEEK_FIM_DATA_DIR)")
    for command in (complete, doctor):
        command.add_argument("--model", help="model id, or auto (the default)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = _settings_from_args(args)
    if args.command == "complete":
        try:
            code = asyncio.run(_complete(settings, args.location))
        except UsageError as exc:
            parser.exit(2, f"deepseek-fim complete: {exc}\n")
    elif args.command == "doctor":
        code = asyncio.run(_doctor(settings))
    else:
        from deepseek_fim.budget.report import run_usage_command

        code = run_usage_command(settings.data_dir, args.json, grant=settings.grant)
    sys.exit(code)


if __name__ == "__main__":
    main()

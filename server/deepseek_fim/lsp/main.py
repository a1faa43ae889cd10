"""Entry point of `deepseek-fim-ls`: LSP over stdio."""

from __future__ import annotations

import argparse
import logging
import sys

from deepseek_fim import __version__
from deepseek_fim.lsp.server import create_language_server


def configure_logging(level: str) -> None:
    """Log to stderr (editors capture it); keep pygls quiet, since it logs message bodies."""
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pygls logs every message at INFO, which would put the user's code into log files.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve LSP on stdin/stdout."""
    parser = argparse.ArgumentParser(
        prog="deepseek-fim-ls", description="DeepSeek Fill-in-the-Middle language server"
    )
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default and only)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--version", action="version", version=f"deepseek-fim-ls {__version__}")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    create_language_server().start_io()


if __name__ == "__main__":
    main()

"""Entry point of `deepseek-fim-ls`: LSP over stdio."""

from __future__ import annotations

import logging
import sys

from deepseek_fim import __version__
from deepseek_fim.lsp.server import create_language_server


def configure_logging(level: str) -> None:
    """Log warnings to stderr; the server forwards its own INFO records as window/logMessage.

    Keep pygls quiet, since it logs message bodies (the user's code) at INFO.
    """
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(getattr(logging, level.upper(), logging.WARNING))
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[stderr])
    # pygls logs every message at INFO, which would put the user's code into log files.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve LSP on stdin/stdout."""
    args = sys.argv[1:] if argv is None else argv
    if set(args) <= {"--stdio"}:
        # How editors start it: no argument parser to import (cold start).
        serve("WARNING")
        return
    import argparse

    parser = argparse.ArgumentParser(
        prog="deepseek-fim-ls", description="DeepSeek Fill-in-the-Middle language server"
    )
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default and only)")
    parser.add_argument(
        "--log-level", default="WARNING", help="stderr level: DEBUG, INFO, WARNING or ERROR"
    )
    parser.add_argument("--version", action="version", version=f"deepseek-fim-ls {__version__}")
    options = parser.parse_args(args)
    serve(options.log_level)


def serve(log_level: str) -> None:
    """Serve LSP on stdin/stdout with stderr logging at `log_level`."""
    configure_logging(log_level)
    create_language_server().start_io()


if __name__ == "__main__":
    main()

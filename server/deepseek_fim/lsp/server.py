"""The language server: LSP methods converted to calls on the completion service and back.

Text synchronisation is taken over from pygls (see `DocumentSyncProtocol`) so that a keystroke
costs O(edit) in our own document store. Every request gets an answer: API failures and bad input
become empty results, and only a client's `$/cancelRequest` becomes RequestCancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import lsp_method

from deepseek_fim import __version__
from deepseek_fim.documents import DocumentStore, uri_path
from deepseek_fim.lsp.jsonrpc_edge import (
    PYGLS_READ_LOOP_LOGGER,
    QUIET_PARSE_ERRORS,
    JsonRpcEdgeProtocol,
)

if TYPE_CHECKING:
    # Imported when the service is created, right after the `initialize` answer: answering it
    # needs none of them (cold start; bench/bench_cold_start.py).
    from deepseek_fim.budget_tracker import MessageKind
    from deepseek_fim.service import Completion, CompletionService
    from deepseek_fim.settings import Settings

logger = logging.getLogger(__name__)

BUDGET_NOTIFICATION = "deepseekFim/budget"
STATUS_REQUEST = "deepseekFim/status"
ACCEPT_COMMAND = "deepseekFim.accept"
RESUME_COMMAND = "deepseekFim.resume"
REFRESH_BALANCE_COMMAND = "deepseekFim.refreshBalance"
# At most a few budget notifications per second, however fast completions arrive.
NOTIFY_INTERVAL_S = 0.3
_WORD_TAIL = re.compile(r"[\w$]+$")
_MESSAGE_TYPES = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "info": types.MessageType.Info,
}


class DocumentSyncProtocol(JsonRpcEdgeProtocol):
    """pygls's protocol with text synchronisation left to our own document store.

    pygls rebuilds a document's whole text on each change (O(file) per keystroke); these overrides
    skip its workspace copy and only run our handlers. They are plain functions, not generators
    like pygls's own: pygls keeps a future for every generator handler it runs.
    """

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            handler(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            handler(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            handler(params)


class DeepSeekFimServer(LanguageServer):
    """The server object: pygls plumbing plus our document store and completion service."""

    def __init__(self) -> None:
        """Create the server with default settings until the client sends its own."""
        super().__init__(
            "deepseek-fim",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=DocumentSyncProtocol,
        )
        self.documents = DocumentStore()
        self._service: CompletionService | None = None
        self._initialization_options: Any = None
        self._workspace_roots: tuple[str, ...] = ()
        self._last_payload: dict[str, Any] | None = None
        self._notify_task: asyncio.Task[None] | None = None
        self._last_notify = 0.0
        self._active_uri: str | None = None
        self._told_no_key = False
        self._reported_problems: list[str] = []

    # ----- service lifecycle

    @property
    def service(self) -> CompletionService:
        """The completion service, created on first use with the settings known so far."""
        if self._service is None:
            from deepseek_fim import settings as settings_mod
            from deepseek_fim.service import CompletionService

            current, problems = settings_mod.resolve(self._initialization_options)
            self._report_problems(problems)
            self._service = CompletionService(
                current,
                self.documents,
                show_message=self.show,
                budget_changed=self.budget_changed,
            )
            self._service.set_workspace_roots(self._workspace_roots)
        return self._service

    def apply_settings(self, workspace_configuration: Any) -> None:
        """Recompute the settings from every source and hand them to the service."""
        from deepseek_fim import settings as settings_mod

        current, problems = settings_mod.resolve(
            self._initialization_options, workspace_configuration
        )
        self._report_problems(problems)
        self.service.configure(current)
        self.tell_about_missing_key(current)
        self.budget_changed()

    def tell_about_missing_key(self, current: Settings) -> None:
        """Say once, plainly, how to get a key when none is set."""
        if current.api_key or self._told_no_key:
            return
        self._told_no_key = True
        self.show(
            "DeepSeek FIM: no API key, so no completion is requested. New DeepSeek accounts get a "
            "free grant of about 5M tokens for 30 days: create a key at "
            "https://platform.deepseek.com/api_keys, then set DEEPSEEK_API_KEY in the environment "
            "of your editor or the deepseekFim.apiKey setting (VS Code: the command "
            '"DeepSeek FIM: Set API Key").',
            "warning",
        )

    def _report_problems(self, problems: list[str]) -> None:
        # The same settings are resolved again on every change: say each problem once.
        if problems and problems != self._reported_problems:
            from deepseek_fim import settings as settings_mod

            self.show(settings_mod.describe_problems(problems), "warning")
        self._reported_problems = problems

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log a failure pygls reports; never pop it up (pygls sends window/showMessage).

        From the read loop (source JsonRpcException) it is a body that could not be read as
        JSON: that gets its ParseError answer. A failed request has had its error response
        and pygls's log record already.
        """
        if source is JsonRpcException:
            assert isinstance(self.protocol, JsonRpcEdgeProtocol)
            self.protocol.reject_unparsable(error)
        elif source is not FeatureRequestError:
            logger.error("%s: %s", getattr(source, "__name__", source), error)

    def show(self, message: str, kind: MessageKind) -> None:
        """Show a message to the user (window/showMessage) and log it."""
        logger.info("%s", message)
        self.window_show_message(
            types.ShowMessageParams(type=_MESSAGE_TYPES[kind], message=message)
        )

    # ----- budget notifications, coalesced

    def budget_changed(self) -> None:
        """Schedule a `deepseekFim/budget` notification, at most one per NOTIFY_INTERVAL_S."""
        if self._notify_task is not None and not self._notify_task.done():
            return
        try:
            self._notify_task = asyncio.ensure_future(self._send_budget())
        except RuntimeError:  # no running loop (unit use): nothing to notify
            return

    async def _send_budget(self) -> None:
        wait = self._last_notify + NOTIFY_INTERVAL_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_notify = time.monotonic()
        service = self.service
        payload = service.budget.payload()
        for message, kind in service.budget.take_messages():
            self.show(message, kind)
        if payload == self._last_payload:
            return
        self._last_payload = payload
        self.protocol.notify(BUDGET_NOTIFICATION, payload)
        self._publish_budget_diagnostic(payload)
        # A backoff ends without any event: publish again then, or "throttled" would stay.
        wait_for_change = service.budget.seconds_until_state_changes()
        if wait_for_change is not None:
            loop = asyncio.get_running_loop()
            real_wait = service.time_scale.real_seconds(wait_for_change)
            loop.call_later(real_wait + 0.05, self.budget_changed)

    def _publish_budget_diagnostic(self, payload: dict[str, Any]) -> None:
        """The budget line as an Information diagnostic, for clients with no status channel."""
        if not self.service.settings.budget_diagnostic or self._active_uri is None:
            return
        diagnostic = types.Diagnostic(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            message=str(payload.get("text", "")),
            severity=types.DiagnosticSeverity.Information,
            source="deepseek-fim",
        )
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=self._active_uri, diagnostics=[diagnostic])
        )

    def set_active(self, uri: str) -> None:
        """Remember the document the user works in (for the budget diagnostic)."""
        previous = self._active_uri
        if previous not in (None, uri) and self.service.settings.budget_diagnostic:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=previous, diagnostics=[])
            )
        self._active_uri = uri


class LspLogHandler(logging.Handler):
    """Forwards this package's log records to the client (window/logMessage).

    Editors show these in their LSP log at the right level, where stderr lines would all look
    like errors. Only `deepseek_fim` records are forwarded: pygls's own would echo messages.
    """

    _TYPES = (
        (logging.ERROR, types.MessageType.Error),
        (logging.WARNING, types.MessageType.Warning),
        (logging.INFO, types.MessageType.Info),
        (logging.NOTSET, types.MessageType.Log),
    )

    def __init__(self, server: LanguageServer) -> None:
        """Forward to server."""
        super().__init__(logging.INFO)
        self._server = server
        self.addFilter(lambda record: record.name.startswith("deepseek_fim"))

    def emit(self, record: logging.LogRecord) -> None:
        """Send one record; never raise from logging."""
        kind = next(t for level, t in self._TYPES if record.levelno >= level)
        # The connection may be closing: drop the record rather than fail the caller.
        with contextlib.suppress(Exception):
            self._server.window_log_message(
                types.LogMessageParams(type=kind, message=self.format(record))
            )


def _typed_character(changes: Sequence[types.TextDocumentContentChangeEvent]) -> str | None:
    """The one character a didChange typed (an insertion at a point), else None."""
    if len(changes) != 1:
        return None
    change = changes[0]
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return None
    if change.range.start != change.range.end or len(change.text) != 1:
        return None
    return change.text


def _accept_command(completion: Completion) -> types.Command:
    return types.Command(
        title="Accept DeepSeek completion",
        command=ACCEPT_COMMAND,
        arguments=[completion.completion_id],
    )


def _after(position: types.Position, replaced: str) -> types.Position:
    """The end of an edit that replaces ``replaced`` (text on the line after ``position``)."""
    return types.Position(
        position.line, position.character + len(replaced.encode("utf-16-le")) // 2
    )


def _cost_text(completion: Completion) -> str:
    if completion.cost is None:
        return "DeepSeek FIM"
    return f"DeepSeek FIM · {completion.cost:.7f} {completion.currency}".rstrip("0")


def _workspace_roots(params: types.InitializeParams) -> tuple[str, ...]:
    """The workspace folders' paths (or the root URI's), where imported files may be read."""
    uris = [folder.uri for folder in params.workspace_folders or ()]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [uri_path(uri) for uri in uris if uri.startswith("file:")]
    return tuple(path.rstrip("/") or "/" for path in paths)


def create_language_server() -> DeepSeekFimServer:
    """Create the server with every feature registered."""
    server = DeepSeekFimServer()
    # One log line per body that is not JSON (ours), not pygls's traceback as well.
    logging.getLogger(PYGLS_READ_LOOP_LOGGER).addFilter(QUIET_PARSE_ERRORS)

    @server.feature(types.INITIALIZE)
    def initialize(ls: DeepSeekFimServer, params: types.InitializeParams) -> None:
        ls._initialization_options = params.initialization_options
        # Kept for the service, created in `initialized` (the answer here needs none of it).
        ls._workspace_roots = _workspace_roots(params)
        handler = LspLogHandler(ls)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logging.getLogger("deepseek_fim").addHandler(handler)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: DeepSeekFimServer, params: types.InitializedParams) -> None:
        # Created here, right after the `initialize` answer (which needs none of it), so that
        # the first completion does not pay for importing it nor for opening the ledger.
        ls.service  # noqa: B018
        await pull_configuration(ls)
        ls.service.prepare()

    async def pull_configuration(ls: DeepSeekFimServer) -> None:
        from deepseek_fim import settings as settings_mod

        workspace = ls.client_capabilities.workspace
        configuration: Any = None
        if workspace is not None and workspace.configuration:
            try:
                result = await ls.workspace_configuration_async(
                    types.ConfigurationParams(
                        items=[types.ConfigurationItem(section=settings_mod.SECTION)]
                    )
                )
                configuration = result[0] if result else None
            except Exception as exc:  # the client may refuse; its settings then stay unknown
                logger.info("workspace/configuration failed: %r", exc)
        ls.apply_settings(configuration)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: DeepSeekFimServer, params: types.DidChangeConfigurationParams
    ) -> None:
        from deepseek_fim import settings as settings_mod

        pushed = params.settings
        if isinstance(pushed, dict) and isinstance(pushed.get(settings_mod.SECTION), dict):
            ls.apply_settings(pushed[settings_mod.SECTION])
        else:
            await pull_configuration(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DeepSeekFimServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.documents.open(doc.uri, doc.language_id, doc.version, doc.text)
        ls.service.document_opened(doc.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DeepSeekFimServer, params: types.DidChangeTextDocumentParams) -> None:
        started = time.perf_counter()
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            logger.warning(
                "didChange for a document that is not open: %s", params.text_document.uri
            )
            return
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start = document.clamp(change.range.start.line, change.range.start.character)
                end = document.clamp(change.range.end.line, change.range.end.character)
                document.replace(start, end, change.text)
            else:
                document.set_text(change.text)
        document.version = params.text_document.version
        ls.service.cadence.changed(document.uri, _typed_character(params.content_changes))
        ls.service.document_changed(document.uri)
        ls.service.counters.edit_ms.append((time.perf_counter() - started) * 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DeepSeekFimServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)
        ls.service.document_closed(params.text_document.uri)

    async def complete(
        ls: DeepSeekFimServer, uri: str, position: types.Position
    ) -> Completion | None:
        ls.set_active(uri)
        try:
            return await ls.service.complete(uri, position.line, position.character)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug must not become an error popup at every keystroke: log it, answer empty.
            logger.exception("Completion failed")
            return None
        finally:
            ls.budget_changed()

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: DeepSeekFimServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        completion = await complete(ls, params.text_document.uri, params.position)
        if completion is None:
            return types.InlineCompletionList(items=[])
        item = types.InlineCompletionItem(
            insert_text=completion.text,
            range=types.Range(params.position, _after(params.position, completion.replace)),
            command=_accept_command(completion),
        )
        return types.InlineCompletionList(items=[item])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
    async def completion(
        ls: DeepSeekFimServer, params: types.CompletionParams
    ) -> types.CompletionList:
        result = await complete(ls, params.text_document.uri, params.position)
        if result is None:
            return types.CompletionList(is_incomplete=True, items=[])
        # Menus filter by the word before the cursor, so the item replaces that word.
        word = _WORD_TAIL.search(result.line_prefix)
        word_text = word.group(0) if word else ""
        start_char = params.position.character - len(word_text.encode("utf-16-le")) // 2
        new_text = word_text + result.text
        first_line = new_text.split("\n", 1)[0]
        item = types.CompletionItem(
            label=first_line if len(first_line) <= 80 else first_line[:79] + "…",
            kind=types.CompletionItemKind.Text,
            detail=_cost_text(result),
            documentation=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=f"```\n{new_text}\n```"
            ),
            filter_text=new_text,
            sort_text="0",
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(
                range=types.Range(
                    types.Position(params.position.line, max(start_char, 0)),
                    _after(params.position, result.replace),
                ),
                new_text=new_text,
            ),
            command=_accept_command(result),
        )
        return types.CompletionList(is_incomplete=True, items=[item])

    @server.command(ACCEPT_COMMAND)
    def accept(ls: DeepSeekFimServer, *args: Any) -> None:
        if args:
            ls.service.accepted(args[0], args[1] if len(args) > 1 else None)
        ls.budget_changed()

    @server.command(RESUME_COMMAND)
    def resume(ls: DeepSeekFimServer, *args: Any) -> None:
        ls.service.budget.resume()
        # After a top-up the balance has changed: read it now, not at the next completion.
        ls.service.maybe_check_balance()
        ls.budget_changed()

    @server.command(REFRESH_BALANCE_COMMAND)
    async def refresh_balance(ls: DeepSeekFimServer, *args: Any) -> None:
        await ls.service.check_balance()
        ls.budget_changed()

    @server.feature(STATUS_REQUEST)
    def status(ls: DeepSeekFimServer, params: Any) -> dict[str, Any]:
        payload = ls.service.status_payload()
        # For the soak benchmark and the memory checks: what this process holds on to.
        assert isinstance(ls.protocol, JsonRpcEdgeProtocol)
        payload["process"] = {
            "asyncioTasks": len(asyncio.all_tasks()),
            "pendingFutures": ls.protocol.pending_futures,
        }
        return payload

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: DeepSeekFimServer, params: Any) -> None:
        await ls.service.aclose()

    return server

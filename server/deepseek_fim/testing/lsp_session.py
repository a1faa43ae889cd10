"""A scripted LSP client session against a real `deepseek-fim-ls` subprocess.

Used by the end-to-end tests and the typing benchmark: it starts the server with a chosen
environment, opens documents, types into them with incremental didChange notifications, sends
completion requests (and `$/cancelRequest` for them, as editors do) and collects the
`deepseekFim/budget` notifications and `window/showMessage` messages the server sends.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from deepseek_fim.documents import col_to_utf16, split_lines

SERVER_COMMAND = (sys.executable, "-m", "deepseek_fim", "--stdio")


@dataclass
class OpenDocument:
    """The client's copy of a document, to compute positions as an editor would."""

    uri: str
    lines: list[str]
    version: int = 1

    def end_position(self) -> types.Position:
        """The position after the last character."""
        last = len(self.lines) - 1
        return types.Position(last, col_to_utf16(self.lines[last], len(self.lines[last])))


@dataclass
class Session:
    """One server process and the client talking to it."""

    client: LanguageClient
    budget: list[dict[str, Any]] = field(default_factory=list)
    messages: list[types.ShowMessageParams] = field(default_factory=list)
    logs: list[types.LogMessageParams] = field(default_factory=list)
    diagnostics: dict[str, list[types.Diagnostic]] = field(default_factory=dict)
    documents: dict[str, OpenDocument] = field(default_factory=dict)
    budget_event: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        env: Mapping[str, str],
        initialization_options: Any = None,
        configuration: Any = None,
        capabilities: types.ClientCapabilities | None = None,
        root_uri: str | None = None,
    ) -> Session:
        """Start the server with env, initialize it, and answer workspace/configuration."""
        client = LanguageClient("deepseek-fim-test-client", "0")
        session = cls(client)

        @client.feature("deepseekFim/budget")  # type: ignore[untyped-decorator]
        def on_budget(params: Any) -> None:
            session.budget.append(_as_dict(params))
            session.budget_event.set()

        @client.feature(types.WINDOW_SHOW_MESSAGE)  # type: ignore[untyped-decorator]
        def on_message(params: types.ShowMessageParams) -> None:
            session.messages.append(params)

        @client.feature(types.WINDOW_LOG_MESSAGE)  # type: ignore[untyped-decorator]
        def on_log(params: types.LogMessageParams) -> None:
            session.logs.append(params)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            session.diagnostics[params.uri] = list(params.diagnostics)

        @client.feature(types.WORKSPACE_CONFIGURATION)  # type: ignore[untyped-decorator]
        def on_configuration(params: types.ConfigurationParams) -> list[Any]:
            return [configuration for _ in params.items]

        await client.start_io(*SERVER_COMMAND, env={**os.environ, **env})
        if capabilities is None:
            capabilities = types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(configuration=True),
                text_document=types.TextDocumentClientCapabilities(
                    inline_completion=types.InlineCompletionClientCapabilities()
                ),
            )
        await client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                process_id=os.getpid(),
                initialization_options=initialization_options,
                root_uri=root_uri,
            )
        )
        client.initialized(types.InitializedParams())
        return session

    async def stop(self) -> None:
        """Shut the server down cleanly, or kill it if it does not answer."""
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 5)
            self.client.exit(None)
        except Exception:  # noqa: S110 - the server may already be gone; stop it anyway
            pass
        await self.client.stop()  # type: ignore[no-untyped-call]

    def open(self, uri: str, text: str, language_id: str = "python") -> OpenDocument:
        """Send didOpen."""
        document = OpenDocument(uri, split_lines(text))
        self.documents[uri] = document
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri, language_id, document.version, text)
            )
        )
        return document

    def close(self, uri: str) -> None:
        """Send didClose."""
        self.documents.pop(uri, None)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        )

    def type_text(self, uri: str, text: str) -> None:
        """Insert text at the end of the document in one incremental change."""
        document = self.documents[uri]
        end = document.end_position()
        pieces = split_lines(text)
        last = len(document.lines) - 1
        document.lines[last] += pieces[0]
        document.lines.extend(pieces[1:])
        self.insert(uri, end, text, update_copy=False)

    def insert(
        self, uri: str, position: types.Position, text: str, *, update_copy: bool = True
    ) -> None:
        """Send an incremental didChange inserting text at position."""
        document = self.documents[uri]
        if update_copy:
            line = document.lines[position.line]
            col = len(line.encode("utf-16-le")[: position.character * 2].decode("utf-16-le"))
            pieces = split_lines(line[:col] + text + line[col:])
            document.lines[position.line : position.line + 1] = pieces
        document.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    version=document.version, uri=uri
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(position, position), text=text
                    )
                ],
            )
        )

    def request_inline(
        self, uri: str, position: types.Position | None = None
    ) -> tuple[str, asyncio.Future[Any]]:
        """Send textDocument/inlineCompletion; return its id (for cancelling) and its future."""
        if position is None:
            position = self.documents[uri].end_position()
        msg_id = str(uuid.uuid4())
        params = types.InlineCompletionParams(
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
            text_document=types.TextDocumentIdentifier(uri),
            position=position,
        )
        future = self.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        return msg_id, future

    async def inline(self, uri: str, position: types.Position | None = None) -> list[str]:
        """Request an inline completion and return the insert texts."""
        _, future = self.request_inline(uri, position)
        result = await future
        return [
            item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
            for item in (result.items if result is not None else [])
        ]

    def cancel(self, msg_id: str) -> None:
        """Send $/cancelRequest for a request sent earlier."""
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    async def status(self) -> dict[str, Any]:
        """The `deepseekFim/status` payload."""
        result = await self.client.protocol.send_request_async("deepseekFim/status", {})
        return _as_dict(result)

    async def wait_for_budget(
        self, predicate: Any, timeout: float = 5.0, since: int | None = None
    ) -> dict[str, Any]:
        """Wait for a budget notification for which predicate(payload) is true.

        Only the latest notification already received and newer ones count (or those from
        index `since`), so a state that has since changed does not match.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        start = max(len(self.budget) - 1, 0) if since is None else since
        while True:
            for payload in self.budget[start:]:
                if predicate(payload):
                    return dict(payload)
            remaining = deadline - loop.time()
            if remaining <= 0:
                last = self.budget[-1] if self.budget else None
                raise TimeoutError(f"no matching deepseekFim/budget; last: {last}")
            self.budget_event.clear()
            try:
                await asyncio.wait_for(self.budget_event.wait(), remaining)
            except TimeoutError:
                continue


def _as_dict(value: Any) -> dict[str, Any]:
    """Turn the attribute objects pygls makes of custom payloads back into dicts."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):
        items: dict[str, Any] = value._asdict()
        return {k: _plain(v) for k, v in items.items()}
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    raise TypeError(f"not an object: {value!r}")


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return _as_dict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return _as_dict(value)

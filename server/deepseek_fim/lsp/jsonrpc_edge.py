"""The JSON-RPC edge: every request answered, notifications never, protocol errors only logged.

pygls 2 reads a body, turns it into a message type in `structure_message` and dispatches it in
`handle_message`. On bad input it does not answer: a request whose params fail validation, a body
that is not JSON, a notification method sent with an id, a message that is not an object all end
in its error handler, which pops up "Error in server" in the editor, while the client waits forever
for an answer. This protocol subclass checks the envelope itself, keeps what failed as a
`Rejected` message, and answers it as the JSON-RPC 2.0 specification says:

- a body that is not JSON: ParseError (-32700) with id null;
- not a request, notification or response (wrong `jsonrpc`, an id that is not an integer or a
  string, a method that is not a string, params that are not an object or array (or null), an LSP
  notification method sent with an id): InvalidRequest (-32600), with the id when it is usable;
- an id with neither `method` nor `result`/`error`: no Response (a Response has exactly one of
  `result` and `error`), so it can only be a Request without its required `method`: "the JSON
  sent is not a valid Request object", InvalidRequest (-32600), answered with that id (the spec
  asks for id null only when the id cannot be read);
- a request whose params do not fit the method's LSP type: InvalidParams (-32602), saying where;
- a notification is never answered, whatever is wrong with it; a response with both `result`
  and `error` is dropped (answering a response could start an endless exchange).

Each is logged once, on one line, as a warning (which the client sees as window/logMessage),
never sent as window/showMessage and never with a traceback: pygls's own record of a body that
is not JSON (a full traceback, from its read loop) is dropped by `QuietParseErrors`. The bodies
themselves are not logged: they may hold the user's code.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

logger = logging.getLogger(__name__)

JSONRPC_VERSION = "2.0"
# Error texts are for developers reading the client's log; keep them short.
MAX_DETAIL_CHARS = 400


@dataclass(frozen=True)
class Rejected:
    """A message that failed the envelope or params checks, and how to answer it."""

    msg_id: int | str | None  # None: answer with id null (or not at all for a notification)
    method: str | None
    code: int
    message: str
    answer: bool  # False for notifications and responses: never answered


class JsonRpcEdgeProtocol(LanguageServerProtocol):
    """pygls's LSP protocol with the JSON-RPC error handling the specification asks for."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Turn one JSON object into a message, or a `Rejected` saying why it is not one.

        json.loads calls this for every object in a body, innermost first: objects without a
        `jsonrpc` member (params and their parts) are returned as they are, as pygls does.
        """
        if "jsonrpc" not in data:
            return data
        rejected = _check_envelope(data, self.get_message_type)
        if rejected is not None:
            return rejected
        try:
            return self._structure(data)
        except Exception as exc:
            method = data.get("method")
            is_request = "id" in data and method is not None
            detail = _describe(exc)
            if method is None:
                return Rejected(data.get("id"), None, JsonRpcInvalidRequest.CODE, detail, False)
            return Rejected(
                data.get("id") if is_request else None,
                method,
                JsonRpcInvalidParams.CODE,
                f"Invalid params for {method}: {detail}",
                is_request,
            )

    def _structure(self, data: dict[str, Any]) -> Any:
        """Map an object to its message type, as pygls's `structure_message` does."""
        if "id" in data:
            if "error" in data:
                return self._converter.structure(data, types.ResponseErrorMessage)
            if "method" in data:
                request_type = self.get_message_type(data["method"]) or JsonRPCRequestMessage
                return self._converter.structure(data, request_type)
            return super().structure_message(data)
        notification_type = self.get_message_type(data["method"]) or JsonRPCNotification
        return self._converter.structure(data, notification_type)

    def handle_message(self, message: Any) -> None:
        """Answer what was rejected; dispatch the rest as pygls does."""
        if not isinstance(message, Rejected) and not attrs.has(type(message)):
            # A JSON value that is no message at all: an array, a number, an object without
            # a `jsonrpc` member.
            msg_id = message.get("id") if isinstance(message, dict) else None
            message = Rejected(
                msg_id if _usable_id(msg_id) else None,
                None,
                JsonRpcInvalidRequest.CODE,
                "Invalid request: not a JSON-RPC 2.0 message object",
                True,
            )
        if isinstance(message, Rejected):
            self._reject(message)
            return
        if self._shutdown and getattr(message, "method", types.EXIT) != types.EXIT:
            # pygls drops these silently; a request still needs its answer.
            if hasattr(message, "id") and hasattr(message, "method"):
                self._reject(
                    Rejected(
                        message.id,
                        message.method,
                        JsonRpcInvalidRequest.CODE,
                        "Invalid request: the server is shutting down",
                        True,
                    )
                )
            return
        super().handle_message(message)

    @property
    def pending_futures(self) -> int:
        """Handler futures pygls holds (requests in flight, and any it failed to forget)."""
        return len(self._request_futures)

    def reject_unparsable(self, error: Exception) -> None:
        """Answer a body that is not JSON (or not UTF-8) with ParseError and id null."""
        # The one log line of it: pygls's own record, with its traceback, is dropped by
        # QuietParseErrors.
        self._reject(Rejected(None, None, JsonRpcParseError.CODE, f"Parse error: {error}", True))

    def _reject(self, rejected: Rejected) -> None:
        logger.warning(
            "%s (%s)%s",
            rejected.message,
            rejected.code,
            "" if rejected.answer else "; not answered (not a request)",
        )
        if not rejected.answer:
            return
        # Written as a plain object: lsprotocol's converter drops an id of None, and the
        # specification wants `"id": null` when the id could not be read.
        self._send_data(
            {
                "jsonrpc": JSONRPC_VERSION,
                "id": rejected.msg_id,
                "error": {"code": rejected.code, "message": rejected.message},
            }
        )

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Run a handler as pygls does, then forget its future once it is done.

        pygls keeps the future of every async, threaded or generator handler in
        `_request_futures` (so that `$/cancelRequest` can find it) but only removes those of
        requests, when it sends the response. The futures of notifications, and of the steps
        of its generator handlers, stay forever under random ids: about 2 KB per message.
        """
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget_future(msg_id, done))

    def _forget_future(self, msg_id: Any, done: Future[Any]) -> None:
        # Only this very future: a request id may be in use again by the time it is done.
        if self._request_futures.get(msg_id) is done:
            del self._request_futures[msg_id]


class QuietParseErrors(logging.Filter):
    """Drops pygls's "Unable to handle message" record of a body that is not JSON or UTF-8.

    pygls's read loop logs it with `logger.exception`, a full traceback per bad body, and then
    calls the server's error handler, which answers ParseError and logs one line
    (`reject_unparsable`). Any other failure of the read loop keeps its record and traceback:
    that is a bug worth seeing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that one."""
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, json.JSONDecodeError | UnicodeDecodeError)


QUIET_PARSE_ERRORS = QuietParseErrors()
PYGLS_READ_LOOP_LOGGER = "pygls.server"  # the logger pygls's read loop is given


def _check_envelope(data: dict[str, Any], message_type: Any) -> Rejected | None:
    """The checks JSON-RPC 2.0 and LSP make on any message, before its params are looked at."""
    has_id = "id" in data
    msg_id = data.get("id")
    method = data.get("method")
    # An id without a method is a response, unless it has neither `result` nor `error`: then it
    # is a request that lacks its method, answered with its id (see the module).
    is_response = has_id and "method" not in data and ("result" in data or "error" in data)
    answer = has_id and not is_response
    usable = msg_id if _usable_id(msg_id) else None

    def invalid(reason: str) -> Rejected:
        name = method if isinstance(method, str) else None
        return Rejected(
            usable, name, JsonRpcInvalidRequest.CODE, f"Invalid request: {reason}", answer
        )

    if data.get("jsonrpc") != JSONRPC_VERSION:
        return invalid('"jsonrpc" must be "2.0"')
    if has_id and not _usable_id(msg_id):
        return invalid('"id" must be an integer or a string')
    if is_response:
        if "result" in data and "error" in data:
            return invalid('a response has either "result" or "error", not both')
        return None
    if "method" not in data:
        return invalid('a request needs a "method" (and a response "result" or "error")')
    if not isinstance(method, str):
        return invalid('"method" must be a string')
    # null params are not JSON-RPC, but clients send them for shutdown and exit.
    if not isinstance(data.get("params"), dict | list | None):
        return invalid('"params" must be an object or an array')
    known = message_type(method)
    if known is not None and attrs.has(known):
        is_lsp_request = "id" in attrs.fields_dict(known)
        if has_id and not is_lsp_request:
            return invalid(f"{method} is a notification: send it without an id")
        if not has_id and is_lsp_request:
            return invalid(f"{method} is a request: it needs an id")
    return None


def _usable_id(msg_id: Any) -> bool:
    # LSP ids are integers or strings (JSON true/false are no numbers, though Python agrees).
    return isinstance(msg_id, int | str) and not isinstance(msg_id, bool)


def _format(exc: BaseException, kind: Any) -> str:
    # lsprotocol's range validators say what the limits are; cattrs's default says only
    # "invalid value".
    if type(exc) is ValueError:
        return f"invalid value ({exc})"
    return format_exception(exc, kind)


def _describe(exc: Exception) -> str:
    if isinstance(exc, cattrs.ClassValidationError):
        detail = "; ".join(cattrs.transform_error(exc, format_exception=_format))
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return detail if len(detail) <= MAX_DETAIL_CHARS else detail[: MAX_DETAIL_CHARS - 1] + "…"

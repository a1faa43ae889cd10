"""Answers that need no new request: a request still in flight, and recent answers.

A completion request whose text before the cursor extends that of a request still in flight for
the same document (the user typed on a few characters inside what it may answer), with the same
text after the cursor, waits for that request instead of cancelling it and is answered from its
result when the typed characters start the answer (`PendingFetches`). Recent answers are kept
per document, keyed on the text around the cursor (a bounded slice before, the text after as far
as the prompt's suffix window reached), so that backspace-and-retype and returning to a position
are answered with no request (`AnswerCache`). Both use `Anchor.typed_since` to decide: it never
answers for a different text after the cursor.

A model writes on past what is shown (a `next` answer shows one line of the two or three it
wrote; a block answer may be cut to its completed line): that run-on is kept with the answer, and
once the user has taken the shown text (accepted or typed it), the next place is answered from
the run-on, shaped again for that place (`AnswerCache.continuation`): the next line shows at once
and costs nothing. It is what the same model, asked again there, would most likely write.

Pure bookkeeping plus the asyncio tasks of the requests in flight; no IO of its own.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Lines above the cursor line that must be unchanged for an answer to be reused. The answer
# depends on the whole prompt, but a distant edit rarely changes what the next characters are.
BEFORE_LINES = 20
# Line breaks the user may type into an answer and still be answered from it: Enter at the end
# of a line whose answer starts on the next line, or typing through a few lines of a block.
TYPED_LINES = 8
# Answers kept per document, and documents kept.
ANSWERS_PER_DOCUMENT = 32
DOCUMENTS = 32
# A request in flight whose every waiter went away (`$/cancelRequest`) is cancelled after this
# long unless a newer request takes it over: a client cancels the previous request just before
# it asks again for the next keystroke.
ORPHAN_GRACE_S = 0.15


@dataclass(frozen=True)
class Anchor:
    """The text around the cursor that an answer was asked for."""

    line: int
    line_prefix: str
    line_suffix: str
    before: tuple[str, ...]  # up to BEFORE_LINES lines above the cursor line
    after: tuple[str, ...]  # the lines below it that the prompt's suffix window covered
    after_to_end: bool  # `after` ends at the end of the document

    @classmethod
    def at(cls, lines: Sequence[str], line: int, col: int, after_lines: int) -> Anchor:
        """The anchor of the cursor at (line, col), with `after_lines` lines after its line."""
        text = lines[line]
        after_end = min(len(lines), line + 1 + max(after_lines, 0))
        return cls(
            line,
            text[:col],
            text[col:],
            tuple(lines[max(0, line - BEFORE_LINES) : line]),
            tuple(lines[line + 1 : after_end]),
            after_end == len(lines),
        )

    def typed_since(self, lines: Sequence[str], line: int, col: int) -> str | None:
        """What was typed at the cursor since this anchor (maybe ""), or None if the text differs.

        The text after the cursor must be exactly the anchor's (its line and the lines after,
        as far as the anchor saw them), and the lines above the anchor's line unchanged; the
        text before may only have grown at the anchor, on its line or across line breaks typed
        since (Enter into an answer that starts on the next line).
        """
        if not 0 <= line < len(lines) or not self.line <= line <= self.line + TYPED_LINES:
            return None
        text = lines[line]
        if text[col:] != self.line_suffix:
            return None
        after = self.after
        if tuple(lines[line + 1 : line + 1 + len(after)]) != after:
            return None
        if self.after_to_end and len(lines) != line + 1 + len(after):
            return None
        if tuple(lines[max(0, self.line - BEFORE_LINES) : self.line]) != self.before:
            return None
        first = lines[self.line] if line > self.line else text[:col]
        if not first.startswith(self.line_prefix):
            return None
        if line == self.line:
            return text[len(self.line_prefix) : col]
        typed_lines = [first[len(self.line_prefix) :], *lines[self.line + 1 : line], text[:col]]
        return "\n".join(typed_lines)

    def typed_on_line(self, lines: Sequence[str]) -> str | None:
        """Like `typed_since` with the cursor assumed right before the anchor's line suffix.

        For a change notification, which carries no cursor: the cursor is taken to be on the
        anchor's line or one of the next `TYPED_LINES` (the nearest that fits). None means the
        document left the anchor (a deletion, an edit after the cursor).
        """
        last = min(len(lines) - 1, self.line + TYPED_LINES)
        for line in range(self.line, last + 1):
            col = len(lines[line]) - len(self.line_suffix)
            if col < 0:
                continue
            typed = self.typed_since(lines, line, col)
            if typed is not None:
                return typed
        return None


def whole_lines(text: str, *, cut: bool) -> str:
    """A model's text with Unix line ends; `cut` (max_tokens ended it): without its last line."""
    text = text.replace("\r\n", "\n")
    if cut:
        text = text[: max(0, text.rfind("\n"))]
    return text


@dataclass(frozen=True)
class Answer:
    """A shaped answer (post-processed, complete) for an anchor, and its ledger record."""

    anchor: Anchor
    text: str
    replace: str  # the start of the line suffix the text replaces
    completion_id: str
    cost: Decimal | None = None  # of the request that got it
    currency: str = "USD"
    # The model's whole text from the anchor (unshaped, only whole lines once cut by max_tokens):
    # what it wrote past `text` answers the places after it (`AnswerCache.continuation`).
    model_text: str = ""

    def rest_after(self, typed: str) -> str | None:
        """What is left of the answer once `typed` was typed into it, or None if it diverged."""
        if not self.text.startswith(typed) or len(typed) >= len(self.text):
            return None
        rest = self.text[len(typed) :]
        return rest if rest.strip() else None


class AnswerCache:
    """Recent answers per document, least recently used dropped first."""

    def __init__(
        self, per_document: int = ANSWERS_PER_DOCUMENT, documents: int = DOCUMENTS
    ) -> None:
        """Start empty."""
        self._per_document = per_document
        self._documents = documents
        self._answers: OrderedDict[str, OrderedDict[Anchor, Answer]] = OrderedDict()
        self.hits = 0

    def remember(self, uri: str, answer: Answer) -> None:
        """Keep an answer for its anchor (replacing an older one for the same anchor)."""
        answers = self._answers.setdefault(uri, OrderedDict())
        self._answers.move_to_end(uri)
        answers[answer.anchor] = answer
        answers.move_to_end(answer.anchor)
        while len(answers) > self._per_document:
            answers.popitem(last=False)
        while len(self._answers) > self._documents:
            self._answers.popitem(last=False)

    def lookup(
        self, uri: str, lines: Sequence[str], line: int, col: int, *, use: bool = True
    ) -> tuple[Answer, str] | None:
        """The most recent answer whose anchor the cursor is at or typed into, and the rest of it.

        `use=False` only looks: no hit is counted and the order is kept.
        """
        answers = self._answers.get(uri)
        if not answers:
            return None
        for anchor in reversed(answers):
            typed = anchor.typed_since(lines, line, col)
            if typed is None:
                continue
            answer = answers[anchor]
            rest = answer.rest_after(typed)
            if rest is None:
                continue
            if use:
                answers.move_to_end(anchor)
                self.hits += 1
            return answer, rest
        return None

    def continuation(
        self, uri: str, lines: Sequence[str], line: int, col: int
    ) -> tuple[Answer, str] | None:
        """The most recent answer whose shown text the user took and whose model text runs on.

        Returns the answer and its model text after the cursor (unshaped: the caller shapes it
        for the cursor). The user must have typed or accepted the whole shown text, and what
        was typed since the anchor must be exactly the start of the model's text.
        """
        answers = self._answers.get(uri)
        if not answers:
            return None
        for anchor in reversed(answers):
            answer = answers[anchor]
            if len(answer.model_text) <= len(answer.text):
                continue
            typed = anchor.typed_since(lines, line, col)
            if typed is None or not typed.startswith(answer.text):
                continue
            if not answer.model_text.startswith(typed):
                continue
            rest = answer.model_text[len(typed) :]
            if rest.strip():
                return answer, rest
        return None

    def forget(self, uri: str) -> None:
        """Drop the answers of a document (closed)."""
        self._answers.pop(uri, None)

    def __len__(self) -> int:
        """Number of answers kept, all documents together."""
        return sum(len(answers) for answers in self._answers.values())


@dataclass(eq=False)
class PendingFetch:
    """One request to DeepSeek in flight for a document, and who waits for it."""

    anchor: Anchor
    task: asyncio.Task[Answer | None]
    prefetch: bool = False
    # Its answer cannot hold a line break (a `line` request, stop "\n"): it cannot answer a
    # position after a line break typed since.
    one_line: bool = False
    waiters: int = 0
    # Whether anyone waited for it when its answer arrived (else it was not shown).
    adopted: bool = False
    handles: list[asyncio.TimerHandle] = field(default_factory=list)

    def can_answer(self, typed: str) -> bool:
        """Whether its answer may still hold the rest after `typed` (typed since its anchor)."""
        return not (self.one_line and "\n" in typed)


class PendingFetches:
    """At most one request in flight per document; later requests may wait for it."""

    def __init__(self) -> None:
        """Start with nothing in flight."""
        self._pending: dict[str, PendingFetch] = {}
        self.reused = 0  # requests answered from a request in flight

    def start(
        self,
        uri: str,
        anchor: Anchor,
        fetch: Callable[[PendingFetch], Coroutine[Any, Any, Answer | None]],
        *,
        prefetch: bool = False,
        one_line: bool = False,
    ) -> PendingFetch:
        """Start `fetch` for uri, cancelling the one in flight there; `fetch` gets its record."""
        self.cancel(uri)
        holder: list[PendingFetch] = []

        async def run() -> Answer | None:
            return await fetch(holder[0])

        pending = PendingFetch(anchor, asyncio.ensure_future(run()), prefetch, one_line)
        holder.append(pending)
        self._pending[uri] = pending
        pending.task.add_done_callback(lambda _task: self._finished(uri, pending))
        return pending

    def _finished(self, uri: str, pending: PendingFetch) -> None:
        if self._pending.get(uri) is pending:
            del self._pending[uri]
        for handle in pending.handles:
            handle.cancel()

    def find(
        self, uri: str, lines: Sequence[str], line: int, col: int
    ) -> tuple[PendingFetch, str] | None:
        """The request in flight for uri that the cursor is at or typed into, and what was typed.

        None also when its answer cannot reach the cursor (a line break typed into a one-line
        request): waiting for it would only delay the request that can.
        """
        pending = self._pending.get(uri)
        if pending is None or pending.task.done():
            return None
        typed = pending.anchor.typed_since(lines, line, col)
        if typed is None or not pending.can_answer(typed):
            return None
        return pending, typed

    def get(self, uri: str) -> PendingFetch | None:
        """The request in flight for uri, if any."""
        pending = self._pending.get(uri)
        return pending if pending is not None and not pending.task.done() else None

    async def wait(self, pending: PendingFetch, timeout_s: float | None) -> Answer | None:
        """Wait (at most timeout_s) for its answer; cancelling the caller leaves it running.

        A request that takes longer is cancelled: the caller sends its own.
        """
        pending.waiters += 1
        pending.adopted = True
        try:
            done, _ = await asyncio.wait({pending.task}, timeout=timeout_s)
            if not done:
                pending.task.cancel()
                return None
            if pending.task.cancelled() or pending.task.exception() is not None:
                return None
            return pending.task.result()
        finally:
            pending.waiters -= 1
            if pending.waiters == 0 and not pending.task.done():
                loop = asyncio.get_running_loop()
                pending.handles.append(loop.call_later(ORPHAN_GRACE_S, self._orphaned, pending))

    @staticmethod
    def _orphaned(pending: PendingFetch) -> None:
        if pending.waiters == 0 and not pending.task.done():
            pending.task.cancel()

    def document_changed(self, uri: str, lines: Sequence[str]) -> bool:
        """Cancel the request in flight for uri if the text left its anchor; True if it did.

        Also when a line break was typed into a one-line request (Enter after a request at the
        end of a line): its answer cannot serve the new line, so it is aborted at the key.
        """
        pending = self._pending.get(uri)
        if pending is None or pending.task.done():
            return False
        typed = pending.anchor.typed_on_line(lines)
        if typed is not None and pending.can_answer(typed):
            return False
        pending.task.cancel()
        return True

    def cancel(self, uri: str) -> None:
        """Cancel the request in flight for uri, if any."""
        pending = self._pending.pop(uri, None)
        if pending is not None and not pending.task.done():
            pending.task.cancel()

    def cancel_all(self) -> None:
        """Cancel every request in flight (shutdown, new key)."""
        for uri in list(self._pending):
            self.cancel(uri)

    @property
    def inflight(self) -> int:
        """Requests in flight."""
        return sum(1 for pending in self._pending.values() if not pending.task.done())

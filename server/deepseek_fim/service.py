"""The completion service: from a document position to text worth showing, and what it cost.

This is the feature class behind the LSP handlers (which only convert types): it decides whether a
request may be sent at all (key, enabled, excluded file, budget state), schedules it (debounce,
supersede, answers reused from recent answers (typed into, retyped) or a request in flight,
a prefetch after an accept), builds the context, calls DeepSeek, post-processes the answer and
records the usage in the ledger. It knows nothing of LSP types.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from deepseek_fim import context, pauses, postprocess, privacy
from deepseek_fim.budget.ledger import percentile
from deepseek_fim.budget.pace import Pace
from deepseek_fim.budget_tracker import BudgetTracker, MessageKind
from deepseek_fim.cadence import Cadence
from deepseek_fim.deepseek import (
    BadRequest,
    DeepSeekClient,
    DeepSeekError,
    FimRequest,
    FimResult,
    InsufficientBalance,
    SendProgress,
    Unreachable,
    resolve_model,
)
from deepseek_fim.documents import Document, DocumentStore, uri_path
from deepseek_fim.ignore_file import IgnoreFiles
from deepseek_fim.reuse import (
    Anchor,
    Answer,
    AnswerCache,
    PendingFetch,
    PendingFetches,
    whole_lines,
)
from deepseek_fim.scheduler import LastShown, RequestScheduler, Shown
from deepseek_fim.settings import Settings
from deepseek_fim.sources.prompt_builder import PromptBuilder
from deepseek_fim.time_scale import TimeScale

logger = logging.getLogger(__name__)

# Block mode stops at two blank lines in a row: the model has left the block by then. A line
# stops at its end; after a finished line the answer may start with a newline (the next line),
# so it stops at the first blank line instead, and post-processing keeps one line of it.
STOPS: dict[context.Mode, tuple[str, ...]] = {
    "line": ("\n",),
    "next": ("\n\n",),
    "block": ("\n\n\n",),
}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The cursor right after an identifier character: the user is most likely typing on.
_MID_WORD = re.compile(r"[\w$]$")
# The longest a request waits for one in flight that it may be answered from (the user typed
# into what that one may answer): about a slow answer from DeepSeek. Past it, the one in flight
# is cancelled and the request sends its own.
PENDING_WAIT_CAP_S = 2.0
# Sleeping out the floor between tries of an unreachable API ends a little after it, so that
# the clock's check after the sleep never finds it a hair short.
FLOOR_MARGIN_S = 0.005


@dataclass(frozen=True)
class Completion:
    """Text to insert at the cursor, what it replaces after the cursor, and its ledger record."""

    text: str
    completion_id: str
    line_prefix: str
    # The start of the line's text after the cursor that the text replaces (auto-closed
    # closers the answer already contains): the edit's range ends after it.
    replace: str = ""
    cost: Decimal | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class Prepared:
    """A prompt built for one document version and cursor, ready to send."""

    version: int
    line: int
    col: int
    line_count: int
    ctx: context.FimContext
    prompt: str
    suffix: str


@dataclass(frozen=True)
class PrefetchPlan:
    """Where the cursor will be once an accepted suggestion is in the document."""

    uri: str
    line: int
    line_prefix: str
    line_suffix: str


@dataclass
class SessionCounters:
    """What this server process did, for `deepseekFim/status` and the benchmark."""

    requests: int = 0
    typed_ahead: int = 0  # answered from the rest of a suggestion the user typed into
    not_sent_stale: int = 0
    reused_pending: int = 0  # answered from a request in flight the user typed into
    lru_hits: int = 0  # answered from a recent answer (typed into, retyped, back at a place)
    continued: int = 0  # answered from what a model wrote past a suggestion the user took
    prefetched: int = 0  # requests sent right after an accept, before anyone asked
    prefetch_used: int = 0  # requests answered from such a prefetch
    prefetch_cancelled: int = 0  # prefetches cancelled because the user went elsewhere
    # Time spent inside the server per completion that reached the API, excluding the
    # debounce and the API call itself; and per didChange.
    overhead_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    edit_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    # Building the prompt during the debounce (per keystroke that reaches the debounce).
    prepare_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))

    def to_json(self, superseded: int, inflight: int, fetching: int = 0) -> dict[str, Any]:
        """The counters as the `session` extras of `deepseekFim/status`."""
        overhead = [round(v * 1000) for v in self.overhead_ms]  # microseconds
        edits = [round(v * 1000) for v in self.edit_ms]
        prepares = [round(v * 1000) for v in self.prepare_ms]
        return {
            "sent": self.requests,
            "typedAhead": self.typed_ahead,
            "notSentStale": self.not_sent_stale,
            "superseded": superseded,
            "inflight": inflight,
            "fetching": fetching,
            "reusedPending": self.reused_pending,
            "lruHits": self.lru_hits,
            "continued": self.continued,
            "prefetched": self.prefetched,
            "prefetchUsed": self.prefetch_used,
            "prefetchCancelled": self.prefetch_cancelled,
            "overheadP50Us": percentile(overhead, 0.5),
            "overheadP95Us": percentile(overhead, 0.95),
            "editP50Us": percentile(edits, 0.5),
            "editP95Us": percentile(edits, 0.95),
            "prepareP50Us": percentile(prepares, 0.5),
            "prepareP95Us": percentile(prepares, 0.95),
        }


class CompletionService:
    """Owns the DeepSeek client, the scheduler and the budget tracker for one server process."""

    def __init__(
        self,
        settings: Settings,
        documents: DocumentStore,
        *,
        show_message: Callable[[str, MessageKind], None],
        budget_changed: Callable[[], None],
    ) -> None:
        """Build the service; call `configure` again whenever settings change."""
        self.documents = documents
        self.scheduler = RequestScheduler()
        self.last_shown = LastShown()
        self.pending = PendingFetches()
        self.answers = AnswerCache()
        # Completion ids of answers recorded as unused (nobody waited for them yet).
        self._unused: set[str] = set()
        # Completion ids of prefetched answers not used yet.
        self._prefetched: set[str] = set()
        self._prefetch_plan: PrefetchPlan | None = None
        self.counters = SessionCounters()
        self.cadence = Cadence()
        self._show_message = show_message
        self._resolved_model: str | None = None
        self._model_lock = asyncio.Lock()
        self._settings = settings
        self._client: DeepSeekClient | None = None
        self._setup_error: str | None = None
        self._unreachable_logged = False  # the current outage has had its log line
        # Real time, unless a test speeds the budget's clock up (see time_scale.py).
        self.time_scale = TimeScale.from_env()
        self.budget = BudgetTracker(settings, on_change=budget_changed, clock=self.time_scale.now)
        self._background: set[asyncio.Task[Any]] = set()
        self._last_uri: str | None = None  # the document last completed in
        self._masker = privacy.LineMasker()
        self._ignore_files = IgnoreFiles()
        self._prepared: dict[str, Prepared] = {}
        # Prompt assembly: the project's context, the header and the windows (sources/).
        self.prompts = PromptBuilder(
            documents, excluded=self._excluded, read_disk=settings.context_from_disk
        )
        self._disk_reads: set[asyncio.Task[Any]] = set()
        # (uri, version) of the document when a suggestion was last accepted in it: the next
        # request there, before any keystroke, is at a pause (the user reads what came in).
        self._accepted_in: tuple[str, int] | None = None
        self._build_client(settings)

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._settings

    def _build_client(self, settings: Settings) -> None:
        old = self._client
        self._client = None
        try:
            self._client = DeepSeekClient(
                settings.base_url,
                settings.api_key,
                timeout=settings.request_timeout_ms / 1000,
            )
            self._setup_error = None
        except ValueError as exc:  # a plain-http remote base URL, or a key unfit for a header
            self._setup_error = str(exc)
            self._show_message(
                f"DeepSeek FIM: {exc}. Nothing is sent until deepseekFim.baseUrl (or "
                "DEEPSEEK_BASE_URL) and the key are fixed.",
                "error",
            )
        if old is not None:
            task = asyncio.get_event_loop().create_task(old.aclose())
            task.add_done_callback(_log_failure)

    def configure(self, settings: Settings) -> None:
        """Apply new settings: a new key or base URL gets a new client and a fresh model choice."""
        old = self._settings
        self._settings = settings
        if (old.api_key, old.base_url, old.request_timeout_ms) != (
            settings.api_key,
            settings.base_url,
            settings.request_timeout_ms,
        ):
            self.scheduler.cancel_all()
            self.pending.cancel_all()
            self._resolved_model = None
            self._build_client(settings)
        if old.model != settings.model:
            self._resolved_model = None
        if old != settings:
            self.answers = AnswerCache()  # answers to other settings (model, windows, lengths)
            self._configure_prompts()
        self.budget.configure(settings, key_changed=old.api_key != settings.api_key)

    def set_workspace_roots(self, roots: tuple[str, ...]) -> None:
        """The workspace folders: imported files are read from disk only inside them."""
        self.prompts.configure(
            excluded=self._excluded, read_disk=self._settings.context_from_disk, roots=roots
        )

    def _configure_prompts(self) -> None:
        self.prompts.configure(
            excluded=self._excluded,
            read_disk=self._settings.context_from_disk,
            roots=self.prompts.roots,
        )

    async def aclose(self) -> None:
        """Cancel the work in flight and close the HTTP client and the ledger."""
        self.scheduler.cancel_all()
        self.pending.cancel_all()
        for task in list(self._background):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
        self.budget.close()

    # ----- the gate: may this document be completed at all?

    def blocked_reason(self, document: Document) -> str | None:
        """Why this document must not be sent now, as a budget state name, or None."""
        settings = self._settings
        if not settings.enabled or document.language_id in settings.disabled_languages:
            return "disabled"
        if self._excluded(uri_path(document.uri)):
            return "excluded"
        if not settings.api_key:
            return "noKey"
        if self._setup_error is not None:
            return "offline"
        return None

    def _excluded(self, path: str) -> bool:
        """The `exclude` setting, then the project's `.deepseekfimignore` files."""
        return privacy.is_excluded(path, self._settings.exclude) or self._ignore_files.excludes(
            path
        )

    # ----- one request

    async def complete(
        self, uri: str, line: int, utf16_char: int, *, debounce: bool = True
    ) -> Completion | None:
        """Answer one completion request; None when there is nothing to show.

        Never raises for API or input problems; CancelledError propagates.
        """
        started = time.perf_counter()
        document = self.documents.get(uri)
        if document is None:
            return None
        self._last_uri = uri
        reason = self.blocked_reason(document)
        self.budget.set_document_state(reason, self._setup_error if reason == "offline" else None)
        if reason is not None:
            return None
        offline_wait = self.budget.wait_before_send()
        if offline_wait is None:
            # Paused or backing off: a balance check (every 10 min at most) notices a top-up.
            self.maybe_check_balance()
            return None
        position = document.clamp(line, utf16_char)
        line_prefix = document.lines[position.line][: position.col]
        # The recent answers answer typing into a suggestion (its rest), backspace-and-retype
        # and a return to a place (the whole answer), all with no request.
        cached = self.answers.lookup(uri, document.lines, position.line, position.col)
        if cached is not None:
            answer, rest = cached
            self.counters.lru_hits += 1
            self.counters.typed_ahead += rest != answer.text
            return self._serve(document, position.line, position.col, answer, rest)
        # What the model wrote past a suggestion the user took answers the next place.
        continued = self._continuation(document, position.line, position.col)
        if continued is not None:
            self.counters.continued += 1
            return self._serve(document, position.line, position.col, continued, continued.text)
        # A request in flight here that the user typed into may answer this one: wait for it
        # instead of cancelling it (its prompt is paid for). Any other is cancelled now.
        in_flight = self.pending.find(uri, document.lines, position.line, position.col)
        if in_flight is None:
            self.pending.cancel(uri)
        version = document.version
        # Where typists pause (a line start or end, after an opener or a keyword, right after
        # an accept) there is no wait at all (pauses.py); inside a word the wait follows the
        # user's own key gaps (cadence.py). Pacing (when the grant would run out before it
        # expires) waits longer mid-word, at a line's end too, and sends smaller windows;
        # otherwise it changes nothing.
        pace = self.budget.pace()
        delay = 0.0
        if debounce:
            mid_word = _MID_WORD.search(line_prefix) is not None
            debounce_ms = self._settings.debounce_ms
            if mid_word:
                debounce_ms = round(self.cadence.in_word_wait_s(debounce_ms / 1000) * 1000)
            debounce_ms = pace.debounce_ms(debounce_ms, mid_word=mid_word)
            just_accepted = self._accepted_in == (uri, version)
            delay = pauses.pause_delay(
                line_prefix,
                debounce_ms / 1000,
                just_accepted=just_accepted,
                editor_wait_s=self._settings.editor_delay_ms / 1000,
                line_suffix=None if pace.active else document.lines[position.line][position.col :],
            )
        if offline_wait > 0:
            # The API could not be reached at the last try, less than the floor between tries
            # ago: this pause tries once the floor has passed (a keystroke before then
            # supersedes it, so a pause never tries twice).
            offline_delay = self.time_scale.real_seconds(offline_wait) + FLOOR_MARGIN_S
            delay = max(delay, offline_delay)
        before_debounce = time.perf_counter() - started
        if delay > 0 and in_flight is None:
            # The debounce is idle time: prepare the prompt in it (right after this handler
            # yields), so that what remains after the pause is the request itself.
            asyncio.get_running_loop().call_soon(
                self._prepare_ahead, document, version, position.line, position.col, pace
            )

        async def job() -> Completion | None:
            if in_flight is not None:
                waited = time.monotonic()
                fetch, typed = in_flight
                answer = await self.pending.wait(fetch, max(delay, PENDING_WAIT_CAP_S))
                rest = answer.rest_after(typed) if answer is not None else None
                current = self.documents.get(uri)
                if current is not document or current.version != version:
                    return None  # the user typed on; the answer stays in the recent answers
                if answer is not None and rest is not None:
                    self.counters.reused_pending += 1
                    return self._serve(document, position.line, position.col, answer, rest)
                remaining = delay - (time.monotonic() - waited)
                if remaining > 0:
                    await asyncio.sleep(remaining)
                if not self.budget.may_send():
                    return None
            current = self.documents.get(uri)
            if current is not document or current.version != version:
                self.counters.not_sent_stale += 1
                return None
            if not self.budget.may_send():
                return None  # another request failed meanwhile (unreachable or throttled)
            return await self._fetch_now(
                document, position.line, position.col, before_debounce, pace
            )

        return await self.scheduler.run(uri, 0.0 if in_flight else delay, job)

    def _continuation(self, document: Document, line: int, col: int) -> Answer | None:
        """The run-on of an answer the user took, shaped for the cursor (reuse.py), or None.

        It is shaped as an answer asked for here would be (the same mode and steps), and kept
        among the recent answers: typing into it, and the run-on after it, work as for any.
        """
        found = self.answers.continuation(document.uri, document.lines, line, col)
        if found is None:
            return None
        source, rest = found
        settings = self._settings
        ctx = context.build_context(
            document.lines,
            line,
            col,
            path=self.prompts.shown_path(uri_path(document.uri)),
            language_id=document.language_id,
            prefix_tokens=settings.prefix_tokens,
            suffix_tokens=settings.suffix_tokens,
        )
        shaped = postprocess.postprocess(rest, asked_mode(ctx))
        if shaped is None:
            return None
        answer = Answer(
            Anchor.at(document.lines, line, col, ctx.after.count("\n")),
            shaped.text,
            shaped.replace,
            source.completion_id,
            source.cost,
            source.currency,
            model_text=rest,
        )
        self.answers.remember(document.uri, answer)
        return answer

    def _serve(
        self,
        document: Document,
        line: int,
        col: int,
        answer: Answer,
        rest: str,
        *,
        fresh: bool = False,
    ) -> Completion:
        """Answer a request from an answer already there; remember it as the one on screen.

        `fresh`: the request's own answer, whose cost is shown with it (a reused one cost
        nothing more).
        """
        if answer.completion_id in self._unused:
            self._unused.discard(answer.completion_id)
            self.budget.shown(answer.completion_id)
        if answer.completion_id in self._prefetched:
            self._prefetched.discard(answer.completion_id)
            self.counters.prefetch_used += 1
        text = document.lines[line]
        self.last_shown.remember(
            document.uri,
            Shown(line, text[:col], text[col:], rest, answer.completion_id, answer.replace),
        )
        return Completion(
            rest,
            answer.completion_id,
            text[:col],
            answer.replace,
            answer.cost if fresh else None,
            answer.currency,
        )

    async def _fetch_now(
        self, document: Document, line: int, col: int, spent: float, pace: Pace
    ) -> Completion | None:
        """Send a request for the cursor (replacing any in flight) and wait for its answer."""
        started = time.perf_counter()
        prepared = self._prepared.pop(document.uri, None)
        if prepared is None or (prepared.version, prepared.line, prepared.col) != (
            document.version,
            line,
            col,
        ):
            # Built from the live buffer: no await has happened since the version check.
            prepared = self._prepare(document, line, col, pace)
        spent += time.perf_counter() - started
        fetch = self._start_fetch(document, prepared, spent, pace, prefetch=False)
        version = document.version
        answer = await self.pending.wait(fetch, None)
        if answer is None:
            return None
        current = self.documents.get(document.uri)
        if current is not document or current.version != version:
            # Edited (or closed) after the answer arrived but before this coroutine resumed
            # (the request in flight is cancelled only while it runs): the cursor's line may be
            # gone. The answer stays among the recent answers for the next request.
            return None
        return self._serve(document, line, col, answer, answer.text, fresh=True)

    def _start_fetch(
        self, document: Document, prepared: Prepared, spent: float, pace: Pace, *, prefetch: bool
    ) -> PendingFetch:
        """Start the request for a prepared prompt as the document's request in flight."""
        # The answer depends on the text after the cursor as far as the suffix window reaches,
        # and its shape on the lines post-processing compares it with (`FimContext.after`).
        anchor = Anchor.at(
            document.lines, prepared.line, prepared.col, prepared.ctx.after.count("\n")
        )
        ctx = asked_mode(prepared.ctx)
        if ctx is not prepared.ctx:
            prepared = replace(prepared, ctx=ctx)
        return self.pending.start(
            document.uri,
            anchor,
            lambda fetch: self._fetch(fetch, document.uri, prepared, spent, pace),
            prefetch=prefetch,
            one_line="\n" in STOPS[ctx.mode],
        )

    def _prepare(self, document: Document, line: int, col: int, pace: Pace) -> Prepared:
        """Build the context and mask it: everything before the request that needs no IO."""
        ctx = self.prompts.build(
            document,
            line,
            col,
            prefix_tokens=pace.prefix_tokens,
            suffix_tokens=pace.suffix_tokens,
            context_tokens=pace.context_tokens,
        )
        if self.prompts.last_context is not None:
            self.budget.set_context(self.prompts.last_context.text())
        self._read_imports_from_disk(document)
        prompt, suffix = self._masker.mask_around_cursor(ctx.prompt, ctx.suffix)
        return Prepared(
            document.version,
            line,
            col,
            len(document.lines),
            ctx,
            sendable_text(prompt),
            sendable_text(suffix),
        )

    def _prepare_ahead(
        self, document: Document, version: int, line: int, col: int, pace: Pace
    ) -> None:
        if self.documents.get(document.uri) is not document or document.version != version:
            return  # a newer keystroke arrived first; its own request prepares its own prompt
        started = time.perf_counter()
        self._prepared[document.uri] = self._prepare(document, line, col, pace)
        self.counters.prepare_ms.append((time.perf_counter() - started) * 1000)

    async def _fetch(
        self, fetch: PendingFetch, uri: str, prepared: Prepared, spent: float, pace: Pace
    ) -> Answer | None:
        """Send a prepared prompt, shape and record the answer; kept among the recent answers."""
        settings = self._settings
        ctx, prompt, suffix = prepared.ctx, prepared.prompt, prepared.suffix
        model = await self._model()
        if model is None:
            return None
        block = ctx.mode == "block"
        request = FimRequest(
            model=model,
            prompt=prompt,
            suffix=suffix,
            max_tokens=settings.max_tokens_block if block else settings.max_tokens_line,
            temperature=settings.temperature,
            stop=STOPS[ctx.mode],
        )
        self.prompts.warmth.sent(ctx.cache_heads)
        result, latency_ms = await self._send(
            request,
            retry_model=settings.model == "auto",
            prompt_tokens=ctx.prompt_tokens,
            paced=pace.active,
        )
        if result is None:
            return None
        started = time.perf_counter()
        shaped = postprocess.postprocess(result.text, ctx) if result.complete else None
        # Nobody waiting (a prefetch not asked for yet, an asker gone): kept, not shown yet.
        waited_for = fetch.waiters > 0
        record = self.budget.record(
            model=result.model or model,
            usage=result.usage,
            latency_ms=latency_ms,
            outcome="dropped" if shaped is None else "shown" if waited_for else "unused",
            paced=pace.active,
        )
        if shaped is None:
            return None
        if not waited_for:
            self._unused.add(record.completion_id)
        if fetch.prefetch:
            self._prefetched.add(record.completion_id)
        answer = Answer(
            fetch.anchor,
            shaped.text,
            shaped.replace,
            record.completion_id,
            record.cost,
            record.currency,
            model_text=whole_lines(result.text, cut=result.finish_reason == "length"),
        )
        self.answers.remember(uri, answer)
        self.counters.overhead_ms.append((spent + time.perf_counter() - started) * 1000)
        return answer

    def _read_imports_from_disk(self, document: Document) -> None:
        """Read the outlines of unopened imported files in a thread; the next prompt has them."""
        if self._disk_reads:
            return  # one read at a time; the next prompt asks again for what is still due
        paths = self.prompts.disk_paths_wanted(document)
        if not paths:
            return
        task = asyncio.ensure_future(asyncio.to_thread(self.prompts.read_from_disk, paths))
        self._disk_reads.add(task)
        task.add_done_callback(self._disk_read_done)

    def _disk_read_done(self, task: asyncio.Task[Any]) -> None:
        self._disk_reads.discard(task)
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            logger.warning("Reading imported files failed: %s", error)
            return
        self.prompts.store_from_disk(task.result())

    async def _send(
        self,
        request: FimRequest,
        *,
        retry_model: bool,
        prompt_tokens: int = 0,
        paced: bool = False,
    ) -> tuple[FimResult | None, int]:
        """Send one FIM request; return the result (None on failure) and its latency in ms.

        `prompt_tokens`: the prompt's estimated size (prompt and suffix), kept as possibly
        billed if the request is aborted after it was sent.
        """
        client = self._client
        if client is None:
            return None, 0
        self.counters.requests += 1
        started = time.monotonic()
        progress = SendProgress()
        try:
            result = await client.complete(request, progress)
        except asyncio.CancelledError:
            self.budget.record_cancelled(
                request.model,
                _ms_since(started),
                sent_prompt_tokens=prompt_tokens if progress.body_sent else None,
                paced=paced,
            )
            raise
        except BadRequest as exc:
            latency = _ms_since(started)
            self.budget.on_error(exc, model=request.model, latency_ms=latency)
            if exc.supported_models and retry_model:
                chosen = resolve_model(exc.supported_models)
                if chosen and chosen != request.model:
                    self._resolved_model = chosen
                    self._show_message(
                        f"DeepSeek FIM: the model {request.model} is no longer offered; "
                        f"switched to {chosen}.",
                        "warning",
                    )
                    return await self._send(
                        replace(request, model=chosen),
                        retry_model=False,
                        prompt_tokens=prompt_tokens,
                        paced=paced,
                    )
            if exc.supported_models:
                self._show_message(
                    f"DeepSeek FIM: {exc.message} Set deepseekFim.model to auto or to one of: "
                    + ", ".join(exc.supported_models),
                    "error",
                )
            return None, latency
        except DeepSeekError as exc:
            latency = _ms_since(started)
            # While the API stays unreachable each pause tries again: one log line for the
            # outage, not one per pause (the editor keeps its LSP log).
            quiet = isinstance(exc, Unreachable) and self._unreachable_logged
            logger.log(logging.DEBUG if quiet else logging.INFO, "FIM request failed: %s", exc)
            self._unreachable_logged = isinstance(exc, Unreachable)
            self.budget.on_error(exc, model=request.model, latency_ms=latency)
            if isinstance(exc, InsufficientBalance):
                self.maybe_check_balance()
            return None, latency
        if self._unreachable_logged:
            logger.info("DeepSeek reachable again")
            self._unreachable_logged = False
        self.budget.on_success()
        self.maybe_check_balance()
        return result, _ms_since(started)

    # ----- the real balance

    def prepare(self) -> None:
        """Ask for the balance and resolve the model in the background, right after start.

        The first completion then pays for neither round trip (nor for opening the connection).
        """
        self.maybe_check_balance()
        settings = self._settings
        if not settings.api_key or self._setup_error or self._client is None:
            return
        if settings.model == "auto" and self._resolved_model is None:
            self._in_background(self._model())

    def maybe_check_balance(self) -> None:
        """Start a balance check in the background when one is due (start, 402, 10 minutes)."""
        if self._settings.api_key and self.budget.balance_check_due():
            self._in_background(self.check_balance())

    def _in_background(self, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` as a task kept until it ends (its failure is logged)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        _log_failure(task)

    async def check_balance(self) -> None:
        """Ask DeepSeek for the real balance and hand it to the budget."""
        client = self._client
        if client is None or not self._settings.api_key or self._setup_error:
            return
        asked_at = self.budget.now()
        try:
            balance = await client.balance()
        except DeepSeekError as exc:
            logger.info("Balance check failed: %s", exc)
            self.budget.balance_failed()
            return
        self.budget.on_balance(balance, asked_at)

    def status_payload(self) -> dict[str, Any]:
        """The `deepseekFim/status` payload with this process's counters."""
        session = self.counters.to_json(
            self.scheduler.superseded, self.scheduler.inflight, self.pending.inflight
        )
        session["cadence"] = self.cadence.to_json(self._settings.debounce_ms / 1000)
        payload = self.budget.status_payload(session)
        # What went into the last prompt besides the cursor's windows ("what did it see?").
        report = self.prompts.last_context
        payload["context"] = (
            report.to_json() if report is not None else {"path": None, "tokens": 0, "files": []}
        )
        if report is not None:  # a row of both editors' usage views and of the CLI's table
            payload["summary"] = [*payload["summary"], ["Context (last prompt)", report.text()]]
        return payload

    async def _model(self) -> str | None:
        settings = self._settings
        if settings.model != "auto":
            return settings.model
        if self._resolved_model is not None:
            return self._resolved_model
        async with self._model_lock:
            if self._resolved_model is not None:
                return self._resolved_model
            client = self._client
            if client is None:
                return None
            try:
                models = await client.list_models()
            except DeepSeekError as exc:
                logger.info("Listing models failed: %s", exc)
                self.budget.on_error(exc, model=None, latency_ms=0)
                return None
            chosen = resolve_model(models)
            if chosen is None:
                self._show_message(
                    "DeepSeek FIM: this account lists no FIM-capable model ("
                    + ", ".join(models)
                    + "). Set deepseekFim.model to the model to use.",
                    "error",
                )
                return None
            logger.info("Model resolved to %s", chosen)
            self._resolved_model = chosen
            return chosen

    # ----- after the answer

    def accepted(self, completion_id: Any, accepted_chars: Any = None) -> None:
        """Record that the user accepted (all or part of) a suggestion."""
        if not isinstance(completion_id, str) or sendable_text(completion_id) != completion_id:
            logger.warning("Ignoring accept for a malformed completion id %r", completion_id)
            return
        chars = accepted_chars if isinstance(accepted_chars, int) else None
        self._unused.discard(completion_id)
        self.budget.accepted(completion_id, chars)
        active = self.documents.get(self._last_uri) if self._last_uri else None
        if active is not None:
            self._accepted_in = (active.uri, active.version)
            if chars is None and self._settings.prefetch:
                self._plan_prefetch(active, completion_id)

    # ----- prefetch after an accept

    def _plan_prefetch(self, document: Document, completion_id: str) -> None:
        """After a whole suggestion was accepted, ask for the next one where it ends.

        The accept command may come before or after the change that inserts the suggestion:
        the prefetch starts as soon as the document holds it (now, or at the next change).
        """
        shown = self.last_shown.last(document.uri)
        self._prefetch_plan = None
        if shown is None or shown.completion_id != completion_id:
            return
        parts = shown.text.split("\n")
        start = shown.line_prefix if len(parts) == 1 else ""
        self._prefetch_plan = PrefetchPlan(
            document.uri,
            shown.line + len(parts) - 1,
            start + parts[-1],
            shown.line_suffix[len(shown.replace) :],
        )
        if self._try_prefetch(document):
            self._prefetch_plan = None

    def _try_prefetch(self, document: Document) -> bool:
        """Start the planned prefetch if the document holds the accepted text; False if not yet."""
        plan = self._prefetch_plan
        if plan is None or plan.uri != document.uri:
            return False
        lines = document.lines
        if plan.line >= len(lines) or lines[plan.line] != plan.line_prefix + plan.line_suffix:
            return False
        line, col = plan.line, len(plan.line_prefix)
        # Never where a request would not be sent, nor while pacing (fewer speculative requests).
        if self.blocked_reason(document) is not None or not self.budget.may_send():
            return True
        pace = self.budget.pace()
        if not pace.prefetch:
            return True
        if self.pending.find(document.uri, lines, line, col) is not None:
            return True  # the editor already asked for it
        if self.answers.lookup(document.uri, lines, line, col, use=False) is not None:
            return True
        if self.answers.continuation(document.uri, lines, line, col) is not None:
            return True
        prepared = self._prepare(document, line, col, pace)
        self._start_fetch(document, prepared, 0.0, pace, prefetch=True)
        self.counters.prefetched += 1
        return True

    def document_opened(self, uri: str) -> None:
        """A new document: index it, and read its unopened imports from disk in the background."""
        self.prompts.opened(uri)
        document = self.documents.get(uri)
        if document is not None and self.blocked_reason(document) is None:
            self._read_imports_from_disk(document)

    def document_changed(self, uri: str) -> None:
        """After a change: start a planned prefetch; cancel a request in flight left behind.

        A request in flight is cancelled when the text left the place it answers (the user went
        elsewhere: a deletion, an edit after the cursor, a new line).
        """
        self.prompts.changed(uri)
        document = self.documents.get(uri)
        if document is None:
            return
        fetch = self.pending.get(uri)
        if self.pending.document_changed(uri, document.lines) and fetch and fetch.prefetch:
            self.counters.prefetch_cancelled += 1
        if self._prefetch_plan is not None and self._prefetch_plan.uri == uri:
            self._try_prefetch(document)
            self._prefetch_plan = None

    def document_closed(self, uri: str) -> None:
        """Forget everything about a closed document."""
        self.scheduler.cancel(uri)
        self.pending.cancel(uri)
        self.answers.forget(uri)
        self.last_shown.forget(uri)
        self._prepared.pop(uri, None)
        self.prompts.closed(uri)


def asked_mode(ctx: context.FimContext) -> context.FimContext:
    """The context in the mode a request is sent, and its answer shaped, in.

    That is `next`, not `line`, at a line's end after a word (`pauses.line_end_mode`).
    """
    mode = pauses.line_end_mode(ctx.mode, ctx.line_prefix, ctx.line_suffix)
    return ctx if mode == ctx.mode else replace(ctx, mode=mode)


def sendable_text(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (JSON allows them) become U+FFFD.

    JSON decoding joins valid surrogate pairs, so any surrogate left in a string is alone.
    """
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("Background task failed: %s", task.exception())

"""`StepRunner`: carries out a procedure that talks to an LLM, written once as a generator of steps, in any of the
ways a caller needs: in the calling thread, several documents in threads, several documents in lockstep through an
LLM that batches (``complete_batch``), or on an event loop through ``acomplete``.

A procedure yields a prompt (``str``) and is sent the reply, or the exception the call raised (a `TimeoutError`
after ``timeout`` seconds); or it yields a callable (CPU work) and is sent its result. The LLM chunker
(`chunkers.prose.llm`) and the context writer (`chunkers.context.writer`) are written this way.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias

Step: TypeAlias = str | Callable[[], Any]
Procedure: TypeAlias = Generator[Step, Any, Any]
_LOCK = threading.Lock()  # guards gate creation across threads (held for microseconds)


class StepRunner:
    """Runs procedures against ``llm`` (an `chunkers.llms.LLM`): at most ``concurrency`` calls in flight (threads,
    or async calls on one event loop), each call given ``timeout`` seconds (None: no limit; an LLM with
    ``cancel()`` is told to stop a call that ran out of time)."""

    def __init__(self, llm: Any, timeout: float | None = None, concurrency: int = 4) -> None:
        self.llm, self.timeout, self.concurrency = llm, timeout, concurrency
        self._gate: tuple[weakref.ref[asyncio.AbstractEventLoop], asyncio.Semaphore] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_gate": None}  # the gate belongs to one event loop and does not pickle

    @property
    def batches(self) -> bool:
        """Whether the LLM answers several prompts in one call (``complete_batch``)."""
        return callable(getattr(self.llm, "complete_batch", None))

    # ---- in threads ------------------------------------------------------------------------------------------

    def run(self, procedure: Procedure) -> Any:
        """The procedure's result, its prompts answered by ``llm.complete`` in this thread."""
        try:
            step = next(procedure)
            while True:
                step = procedure.send(self.call(self.llm.complete, step) if isinstance(step, str) else step())
        except StopIteration as done:
            return done.value

    def run_many(self, procedures: Sequence[Procedure]) -> list[Any]:
        """Every procedure's result, in order: in lockstep through ``complete_batch`` when the LLM batches, else
        ``concurrency`` at a time in threads."""
        if len(procedures) > 1 and self.batches:
            return self._run_batched(procedures)
        if len(procedures) <= 1 or self.concurrency == 1:
            return [self.run(p) for p in procedures]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(procedures))) as pool:
            return list(pool.map(self.run, procedures))

    def _run_batched(self, procedures: Sequence[Procedure]) -> list[Any]:
        results: list[Any] = [None] * len(procedures)
        prompts: dict[int, str] = {}  # procedure -> the prompt it waits on

        def advance(index: int, value: Any) -> None:
            """Send ``value`` to a procedure and run its CPU steps until it asks a prompt or is done."""
            try:
                step = procedures[index].send(value)
                while not isinstance(step, str):
                    step = procedures[index].send(step())
                prompts[index] = step
            except StopIteration as done:
                results[index] = done.value

        for index in range(len(procedures)):
            advance(index, None)
        while prompts:
            waiting = list(prompts)
            batch = [prompts.pop(index) for index in waiting]
            replies = self.call(lambda texts: list(self.llm.complete_batch(texts)), batch)
            for index, reply in zip(waiting, [replies] * len(batch) if isinstance(replies, Exception) else replies):
                advance(index, reply)
        return results

    def call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """``function(argument)``, or the exception it raised (a `TimeoutError` after ``timeout`` seconds, when
        the LLM is told to stop if it can)."""
        try:
            if self.timeout is None:
                return function(argument)
            pool = ThreadPoolExecutor(max_workers=1)
            try:
                return pool.submit(function, argument).result(timeout=self.timeout)
            except TimeoutError:
                cancel = getattr(self.llm, "cancel", None)
                if callable(cancel):
                    cancel()
                raise
            finally:
                pool.shutdown(wait=False)  # a call that cannot be stopped finishes in the background, unread
        except Exception as exc:
            return exc

    # ---- on an event loop ------------------------------------------------------------------------------------

    async def arun(self, procedure: Procedure) -> Any:
        """The procedure's result, its prompts answered by ``await llm.acomplete`` on the running loop and its CPU
        steps run in worker threads."""
        try:
            step = next(procedure)
            while True:
                result = await (self._acall(step) if isinstance(step, str) else asyncio.to_thread(step))
                step = procedure.send(result)
        except StopIteration as done:
            return done.value

    def _loop_gate(self) -> asyncio.Semaphore:
        """The semaphore that keeps at most ``concurrency`` of this runner's calls in flight on this loop."""
        loop = asyncio.get_running_loop()
        with _LOCK:
            if self._gate is None or self._gate[0]() is not loop:
                self._gate = (weakref.ref(loop), asyncio.Semaphore(self.concurrency))
            return self._gate[1]

    async def _acall(self, prompt: str) -> Any:
        """``await llm.acomplete(prompt)``, or the exception it raised (a `TimeoutError` after ``timeout`` s)."""
        async with self._loop_gate():
            try:
                return await asyncio.wait_for(self.llm.acomplete(prompt), self.timeout)
            except Exception as exc:
                return exc

"""`streamify` and `asyncify`, DSPy's shapes. A streamified program yields status messages
(`StatusMessage`, from a `StatusMessageProvider`'s hooks on module, LM and tool calls) while it
runs, then its final Prediction. Token streaming (`StreamListener` chunks) is not supported:
listeners are accepted and hear nothing; the final Prediction always comes."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import queue
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from engine.core import BaseCallback, Prediction, settings
from engine.lm.lm_state import run_in_thread

logger = logging.getLogger(__name__)


@dataclass
class StatusMessage:
    """One status message of a streamed program."""

    message: str


@dataclass
class StreamResponse:
    """A token chunk of one output field (DSPy's shape; the engine never produces one)."""

    predict_name: str
    signature_field_name: str
    chunk: str
    is_last_chunk: bool


@dataclass
class StreamListener:
    """Accepted for DSPy compatibility; token streaming is not supported, so it hears nothing."""

    signature_field_name: str
    predict: Any = None
    predict_name: str | None = None
    allow_reuse: bool = False


class StatusMessageProvider:
    """Override the hooks whose messages you want; returning None sends nothing."""

    def tool_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> str | None:
        return f"Calling tool {instance.name}..."

    def tool_end_status_message(self, outputs: Any) -> str | None:
        return "Tool calling finished! Querying the LLM with tool calling results..."

    def module_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> str | None:
        return None

    def module_end_status_message(self, outputs: Any) -> str | None:
        return None

    def lm_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> str | None:
        return None

    def lm_end_status_message(self, outputs: Any) -> str | None:
        return None


class StatusStreamingCallback(BaseCallback):
    """Sends the provider's messages to `settings.send_stream` (a callable) while it is set."""

    def __init__(self, status_message_provider: StatusMessageProvider | None = None) -> None:
        self.status_message_provider = status_message_provider or StatusMessageProvider()

    def _send(self, message: str | None) -> None:
        stream = settings.send_stream
        if stream is not None and message:
            stream(StatusMessage(message))

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if getattr(instance, "name", None) != "finish":
            self._send(self.status_message_provider.tool_start_status_message(instance, inputs))

    def on_tool_end(self, call_id: str, outputs: Any, exception: Any = None) -> None:
        if outputs != "Completed.":
            self._send(self.status_message_provider.tool_end_status_message(outputs))

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._send(self.status_message_provider.lm_start_status_message(instance, inputs))

    def on_lm_end(self, call_id: str, outputs: Any, exception: Any = None) -> None:
        self._send(self.status_message_provider.lm_end_status_message(outputs))

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._send(self.status_message_provider.module_start_status_message(instance, inputs))

    def on_module_end(self, call_id: str, outputs: Any, exception: Any = None) -> None:
        self._send(self.status_message_provider.module_end_status_message(outputs))


def asyncify(program: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """An async function running `program(...)` on a worker thread (one of
    `settings.async_max_workers`), with the caller's settings context."""

    async def async_program(*args: Any, **kwargs: Any) -> Any:
        return await run_in_thread(program, *args, **kwargs)

    return async_program


def streamify(
    program: Any,
    status_message_provider: StatusMessageProvider | None = None,
    stream_listeners: list[StreamListener] | None = None,
    include_final_prediction_in_output_stream: bool = True,
    is_async_program: bool = False,
    async_streaming: bool = True,
) -> Callable[..., Any]:
    """Wrap `program` so a call returns a generator of status messages then the Prediction
    (an async generator, or a plain one with `async_streaming=False`)."""
    if stream_listeners:
        logger.warning("streamify: token streaming is not supported; the listeners hear nothing")
    callback = StatusStreamingCallback(status_message_provider)

    async def stream(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue[Any] = asyncio.Queue()

        def send(message: Any) -> None:
            loop.call_soon_threadsafe(messages.put_nowait, message)

        callbacks = [*(settings.callbacks or ()), callback]
        with settings.context(send_stream=send, callbacks=callbacks):
            if is_async_program:
                task = asyncio.ensure_future(program.acall(*args, **kwargs))
            else:
                task = asyncio.ensure_future(asyncify(program)(*args, **kwargs))
        while not task.done():
            getter = asyncio.ensure_future(messages.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
        await asyncio.sleep(0)  # messages sent just before the end are queued by now
        while not messages.empty():
            yield messages.get_nowait()
        yield task.result()  # raises the program's error, if any

    if async_streaming:
        return stream

    def sync_stream(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
        return apply_sync_streaming(stream(*args, **kwargs))

    return sync_stream


def apply_sync_streaming(async_generator: AsyncGenerator[Any, None]) -> Generator[Any, None, None]:
    """Drive an async generator on a thread of its own and yield its items here."""
    items: queue.Queue[Any] = queue.Queue()
    end = object()

    def produce() -> None:
        async def run() -> None:
            try:
                async for item in async_generator:
                    items.put((True, item))
            except BaseException as exc:  # handed to the consumer, raised there
                items.put((False, exc))
            finally:
                items.put((True, end))

        asyncio.run(run())

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(produce,), daemon=True).start()
    while True:
        ok, item = items.get()
        if not ok:
            raise item
        if item is end:
            return
        yield item


async def streaming_response(streamer: AsyncGenerator[Any, None]) -> AsyncGenerator[str, None]:
    """Server-sent events of a streamed program: `data: {"prediction": {...}}` for the final
    Prediction, `data: {"status": ...}` for status messages, then `data: [DONE]`."""
    async for value in streamer:
        if isinstance(value, Prediction):
            data = {"prediction": dict(value.items())}
        elif isinstance(value, StatusMessage):
            data = {"status": value.message}
        elif isinstance(value, str) and value.startswith("data:"):
            yield value
            continue
        else:
            raise ValueError(f"Unknown chunk value type: {value!r}")
        yield f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
    yield "data: [DONE]\n\n"

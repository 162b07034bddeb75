"""DSPy's `dspy.streaming` path: streaming a program's output and status messages, from
`engine.modules.streaming`."""

from engine.modules.streaming import (
    StatusMessage,
    StatusMessageProvider,
    StatusStreamingCallback,
    StreamListener,
    StreamResponse,
    apply_sync_streaming,
    asyncify,
    streamify,
    streaming_response,
)

__all__ = [
    "StatusMessage", "StatusMessageProvider", "StatusStreamingCallback", "StreamListener",
    "StreamResponse", "apply_sync_streaming", "asyncify", "streamify", "streaming_response",
]  # fmt: skip

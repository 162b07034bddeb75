"""The hosted path against a real OpenAI-compatible server: llama.cpp's own
(`python -m llama_cpp.server`, bench/core/llama_server.py) on 127.0.0.1 serving the embedded
model's GGUF file, reached through litellm's `openai/` provider with a dummy key, as the hosted
bench reaches it. Skipped, saying what is missing, where llama-cpp-python's `server` extra is
not installed (`make bench`)."""

from __future__ import annotations

import socket

import pytest

import engine as ts
from bench.core.llama_server import LlamaServer, LlamaServerError, missing_packages
from bench.hosted.client_log import ClientLog

pytestmark = [pytest.mark.real_lm, pytest.mark.slow]

MISSING = missing_packages()
needs_server = pytest.mark.skipif(
    bool(MISSING),
    reason=f"llama.cpp's server cannot run here: missing {', '.join(MISSING)} (make bench)",
)


@pytest.fixture(scope="module")
def server():
    if MISSING:
        pytest.skip(f"llama.cpp's server cannot run here: missing {', '.join(MISSING)}")
    with LlamaServer(n_ctx=512) as running:
        yield running


def lm_on(server: LlamaServer, **kwargs: object) -> ts.LM:
    return ts.LM(server.model, api_base=server.api_base, api_key=server.api_key, cache=False,
                 temperature=0.0, **kwargs)  # fmt: skip


@needs_server
def test_a_call_is_answered_by_the_server_with_its_own_usage(server: LlamaServer) -> None:
    lm = lm_on(server, max_tokens=8)
    with ClientLog(server.api_base) as log:
        text = lm(messages=[{"role": "user", "content": "Say hello."}])[0]
    assert isinstance(text, str) and text.strip()
    record = lm.ledger.records[-1]
    assert record.error is None
    assert 0 < record.completion_tokens <= 8  # the server's count, capped by max_tokens
    sent = log.records()
    assert [r.status for r in sent] == [200]  # one HTTP request, recorded on the client
    assert (sent[0].prompt_tokens, sent[0].completion_tokens) == (
        record.prompt_tokens,
        record.completion_tokens,
    )
    assert sent[0].end > sent[0].start


@needs_server
def test_a_prompt_past_the_context_is_the_servers_error(server: LlamaServer) -> None:
    lm = lm_on(server, max_tokens=8, num_retries=0)
    too_long = "word " * 2000  # past n_ctx=512
    with ClientLog(server.api_base) as log, pytest.raises(Exception) as raised:
        lm(messages=[{"role": "user", "content": too_long}])
    assert "context" in str(raised.value).lower()
    assert log.records() and all(r.status == 400 for r in log.records())
    assert server.running()  # a bad request does not take the server down


@needs_server
def test_leaving_the_block_stops_the_server_and_frees_its_port(monkeypatch) -> None:
    # its threads follow the embedded model's rule (1 beside a busy core, where 2 took 8-20 s
    # a call), here pinned by the rule's own override
    monkeypatch.setenv("TUNESMITH_LOCAL_THREADS", "1")
    with LlamaServer(n_ctx=256) as running:
        port = running.port
        assert running.running()
        command = running._process.args
    assert running.threads == 1 and command[command.index("--n_threads") + 1] == "1"
    assert LlamaServer(threads=2).threads == 2  # a bench that asks for 2 gets 2
    assert not running.running()
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))


@needs_server
def test_a_server_that_cannot_load_its_weights_says_why(tmp_path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"this is not a GGUF file")
    server = LlamaServer(bad, ready_timeout=120)
    with pytest.raises(LlamaServerError, match="exited with code") as raised:
        server.start()
    assert "not-a-model.gguf" in str(raised.value)  # the log's tail names the file it failed on
    assert not server.running()


def test_missing_weights_are_refused_before_starting_anything(tmp_path) -> None:
    server = LlamaServer(tmp_path / "absent.gguf")
    with pytest.raises(LlamaServerError, match="no GGUF file|cannot run here"):
        server.start()
    assert not server.running()


@needs_server
def test_a_program_streamed_over_the_server_says_its_steps_then_answers(server) -> None:
    """`streamify` with the served model: the status messages while the program calls the
    server, then the prediction (the engine streams steps, not tokens)."""
    import asyncio

    from engine.streaming import StatusMessage, StatusMessageProvider

    class Steps(StatusMessageProvider):
        def lm_start_status_message(self, instance, inputs):
            return "asking the server"

        def lm_end_status_message(self, outputs):
            return "the server answered"

    program = ts.streamify(ts.Predict("question -> answer"), status_message_provider=Steps())

    async def collect() -> list:
        return [item async for item in program(question="What is 2 + 2?")]

    with ts.context(lm=lm_on(server, max_tokens=24)):
        items = asyncio.run(collect())
    said = [item.message for item in items if isinstance(item, StatusMessage)]
    assert said == ["asking the server", "the server answered"]
    assert isinstance(items[-1], ts.Prediction) and isinstance(items[-1].answer, str)

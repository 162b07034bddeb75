"""`dspy.Audio`: built from bytes, a data URI, a file, a URL or samples; sent to the LM as an
`input_audio` content part (both prompt layouts); the embedded model refuses it clearly."""

from __future__ import annotations

import base64
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pydantic
import pytest

import engine as dspy
from engine.lm import ScriptedLM

REPLY = "[[ ## transcript ## ]]\nhello there\n\n[[ ## completed ## ]]"


def _wav(path=None, frames: bytes = b"\x00\x00\x10\x00" * 8) -> bytes:
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(frames)
    raw = buffer.getvalue()
    if path is not None:
        path.write_bytes(raw)
    return raw


class Transcribe(dspy.Signature):
    """Write down what is said."""

    clip: dspy.Audio = dspy.InputField()
    transcript: str = dspy.OutputField()


def _audio_parts(messages):
    return [
        part
        for message in messages
        if isinstance(message["content"], list)
        for part in message["content"]
        if part.get("type") == "input_audio"
    ]


def test_every_way_of_building_one_gives_the_same_clip(tmp_path):
    raw = _wav(tmp_path / "hello.wav")
    encoded = base64.b64encode(raw).decode()
    clips = [
        dspy.Audio(raw),
        dspy.Audio(f"data:audio/wav;base64,{encoded}"),
        dspy.Audio(data=encoded, audio_format="wav"),
        dspy.Audio({"data": encoded, "audio_format": "wav"}),
        dspy.Audio.from_path(tmp_path / "hello.wav"),
        dspy.Audio.from_file(str(tmp_path / "hello.wav")),
    ]
    assert all(clip == clips[0] for clip in clips)
    assert dspy.Audio(clips[0]) == clips[0]
    assert clips[0].format() == [
        {"type": "input_audio", "input_audio": {"data": encoded, "format": "wav"}}
    ]
    assert dspy.Audio(b"ID3\x03rest", audio_format=None).audio_format == "mp3"  # sniffed


def test_bad_sources_get_clear_errors(tmp_path):
    with pytest.raises(TypeError, match="from_path"):
        dspy.Audio("hello.wav")  # a path is not read implicitly
    with pytest.raises(pydantic.ValidationError, match="base64"):
        dspy.Audio(data="not base64 !!", audio_format="wav")
    with pytest.raises(FileNotFoundError, match="no file"):
        dspy.Audio.from_path(tmp_path / "missing.wav")
    with pytest.raises(TypeError, match="carries its own format"):
        dspy.Audio("data:audio/wav;base64,AAAA", audio_format="mp3")


def test_from_array_writes_a_wav_clip():
    clip = dspy.Audio.from_array([0.0, 0.5, -0.5, 1.5], sampling_rate=16000)
    import io

    with wave.open(io.BytesIO(base64.b64decode(clip.data))) as read:
        assert (read.getframerate(), read.getnframes(), read.getnchannels()) == (16000, 4, 1)
        frames = read.readframes(4)
    assert int.from_bytes(frames[6:8], "little", signed=True) == 32767  # clipped to 1.0
    assert clip.audio_format == "wav"


@pytest.fixture
def audio_server() -> Iterator[str]:
    body = _wav()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/clip.wav"
    server.shutdown()
    server.server_close()


def test_from_url_downloads_the_clip(audio_server):
    clip = dspy.Audio.from_url(audio_server)
    assert clip.audio_format == "wav" and base64.b64decode(clip.data) == _wav()


@pytest.mark.parametrize("dspy_prompts", [False, True])
def test_predict_sends_the_clip_as_an_input_audio_part(dspy_prompts):
    clip = dspy.Audio(_wav())
    lm = ScriptedLM(answers=[REPLY])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(dspy_prompts=dspy_prompts)):
        result = dspy.Predict(Transcribe)(clip=clip)
    assert result.transcript == "hello there"
    messages = lm.history[-1]["messages"]
    assert _audio_parts(messages) == clip.format()
    user_text = " ".join(
        p.get("text", "") for p in messages[-1]["content"] if p.get("type") == "text"
    )
    assert "[[ ## clip ## ]]" in user_text and clip.data not in user_text


def test_demos_and_a_string_signature_send_their_clips_too():
    first, second = dspy.Audio(_wav(frames=b"\x01\x00" * 4)), dspy.Audio(_wav())
    lm = ScriptedLM(answers=[REPLY])
    predict = dspy.Predict("clip: dspy.Audio -> transcript")
    predict.demos = [dspy.Example(clip=first, transcript="one")]
    with dspy.context(lm=lm):
        predict(clip=second)
    parts = _audio_parts(lm.history[-1]["messages"])
    assert parts == first.format() + second.format()


def test_same_format_and_text_form_as_dspy():
    real = pytest.importorskip("dspy")
    encoded = base64.b64encode(_wav()).decode()
    ours = dspy.Audio(data=encoded, audio_format="wav")
    theirs = real.Audio(data=encoded, audio_format="wav")
    assert ours.format() == theirs.format()
    assert repr(ours) == repr(theirs)


def test_the_embedded_model_refuses_audio_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    lm = dspy.LM("local/smollm2-135m", cache=False)
    with dspy.context(lm=lm), pytest.raises(dspy.LMUnsupportedFeatureError) as info:
        dspy.Predict(Transcribe)(clip=dspy.Audio(_wav()))
    assert "reads text only" in str(info.value) and "audio" in str(info.value)
    assert info.value.features == ["audio_input"]

"""Issue 37 item 3: a key inside a URL (``http://user:KEY@host/v1``), or typed into any field
that is not a key box, is refused where it enters (spec validation, `LM(...)`, the run store,
the exports) with a message saying where keys go; redaction masks what slips through."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from engine.core._errors import LMConfigError, SpecError
from engine.lm import LM
from engine.runs import spec_from_dict
from engine.runs.spec._redact import RedactingWriter, redact
from engine.runs.store._store import RunStore

KEY = "s3cr3tVALUE-91xq-opaque"  # not key-shaped: only the URL's shape can give it away
SK = "sk-test-URLCRED-4d2a9e7b1c"
WHERE = "API key box"
KEYED_URLS = [
    f"http://user:{KEY}@llm.example.com/v1",
    f"https://{KEY}@llm.example.com/v1",
    f"http://llm.example.com/v1?api_key={KEY}",
    f"user:{KEY}@localhost:8000/v1",
    f"https://llm.example.com/{SK}/v1",
]
PLAIN_URLS = ["http://localhost:11434/v1", "https://my-proxy.example.com/openai/v1?region=eu"]


def _spec(**models) -> dict:
    return {
        "name": "tickets",
        "pipeline": [{"name": "classify", "instructions": "Route the ticket.", "fields": [
            {"name": "ticket", "role": "input"},
            {"name": "category", "role": "output", "type": "literal", "choices": ["a", "b"]}]}],
        "data": {"csv": "tickets.csv"},
        "models": {"task": {"model": "openai/gpt-4o-mini", **models}},
    }  # fmt: skip


def _secrets_absent(text: str) -> bool:
    return KEY not in text and SK not in text


@pytest.mark.parametrize("url", KEYED_URLS)
def test_a_key_in_the_endpoint_url_is_refused_by_the_spec(url: str) -> None:
    for plain in PLAIN_URLS:
        assert spec_from_dict(_spec(api_base=plain)).models.task.api_base == plain
    with pytest.raises(SpecError) as info:
        spec_from_dict(_spec(api_base=url))
    message = str(info.value)
    assert "models.task.api_base" in message and WHERE in message
    assert "OPENAI_API_KEY" in message and _secrets_absent(message)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("name",), f"Tickets {SK}"),
        (("description",), "uses sk-ant-api03-Xq7TpL0vBn2Mk9RzWc4HsJd"),
        (("pipeline", 0, "instructions"), "Route it. AWS: AKIAIOSFODNN7EXAMPL3 thanks"),
        (("pipeline", 0, "instructions"), "token wJalrXUtnFEMI-K7MDENG-bPxRfiCY9EXAMPLEKEY4 ok"),
        (("pipeline", 0, "instructions"), f"See http://bob:{KEY}@wiki.example.com/page"),
        (("data", "csv"), f"https://bob:{KEY}@files.example.com/tickets.csv"),
        (("models", "task", "model"), f"openai/{SK}"),
        (("optimizer",), {"params": {"note": f"Bearer {KEY}9"}}),
    ],
)
def test_a_key_typed_into_any_field_is_refused_with_where_keys_go(where, value) -> None:
    benign = _spec()  # long identifiers and hashes are not keys
    benign["description"] = (
        "ClassifyTheSupportTicketIntoOneOfTheTeams123 Data_Support_Tickets_2024_Train_Set_v2 "
        "9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c9f8a7c6b task-oriented risk-assessment bearer bonds"
    )
    spec_from_dict(benign)
    data = _spec()
    target = data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    with pytest.raises(SpecError) as info:
        spec_from_dict(data)
    message = str(info.value)
    path = ".".join(str(p) for p in where)
    assert message.startswith(path) and WHERE in message, message
    assert _secrets_absent(message) and "IOSFODNN7" not in message and "wJalr" not in message


def test_lm_refuses_credentials_in_its_endpoint() -> None:
    assert LM("openai/gpt-4o-mini", api_base=PLAIN_URLS[0]).api_base == PLAIN_URLS[0]
    for url in KEYED_URLS:
        for kwargs in ({"api_base": url}, {"base_url": url}):
            with pytest.raises(LMConfigError) as info:
                LM("openai/gpt-4o-mini", **kwargs)
            assert WHERE in str(info.value) and _secrets_absent(str(info.value))
    lm = LM("openai/gpt-4o-mini", api_base=PLAIN_URLS[0])
    with pytest.raises(LMConfigError):
        lm.copy(api_base=KEYED_URLS[0])
    with pytest.raises(LMConfigError):
        lm(messages=[{"role": "user", "content": "hi"}], api_base=KEYED_URLS[0])
    with pytest.raises(LMConfigError) as info:
        LM(f"http://u:{KEY}@host/openai/gpt-4o-mini")  # a URL with a key as the model name
    assert _secrets_absent(str(info.value))
    from engine.lm.embedder import Embedder

    with pytest.raises(LMConfigError) as info:
        Embedder("openai/text-embedding-3-small", api_base=KEYED_URLS[2])
    assert WHERE in str(info.value) and _secrets_absent(str(info.value))


def test_the_store_refuses_a_spec_given_a_key_after_validation(tickets_spec, db_path: Path) -> None:
    from engine.runs.export.codegen import generate_python
    from engine.runs.pipeline._models import lm_kwargs

    tickets_spec.models.task.api_base = KEYED_URLS[0]  # assignment skips validation
    with pytest.raises(SpecError) as info:
        lm_kwargs(tickets_spec.models.task)
    assert WHERE in str(info.value) and _secrets_absent(str(info.value))
    with pytest.raises(SpecError):
        generate_python(tickets_spec, configure_lm=True)  # the .py export never holds it
    assert _secrets_absent(tickets_spec.to_yaml()) and _secrets_absent(tickets_spec.to_json())
    with RunStore(db_path) as store:
        with pytest.raises(SpecError) as info:
            store.create_run(tickets_spec)
        assert "models.task.api_base" in str(info.value) and _secrets_absent(str(info.value))
        tickets_spec.models.task.api_base = None
        tickets_spec.description = f"made with {SK}"
        with pytest.raises(SpecError, match="description"):
            store.create_run(tickets_spec)
        assert store.list_runs() == []
    for path in db_path.parent.iterdir():
        assert _secrets_absent(path.read_bytes().decode("utf-8", "replace")), path


def test_exports_refuse_a_stored_spec_that_holds_a_key(tickets_spec, db_path: Path) -> None:
    """A run stored before the check (its spec column written with a keyed URL) exports
    nothing that holds the key: every export that reads the spec refuses it."""
    from engine.runs.export._files import export_run

    with RunStore(db_path) as store:
        run_id = store.create_run(tickets_spec)
    spec = tickets_spec.to_dict()
    spec["models"]["task"]["api_base"] = KEYED_URLS[0]
    with sqlite3.connect(db_path) as con:
        con.execute("UPDATE runs SET spec = ? WHERE id = ?", [json.dumps(spec), run_id])
    for fmt in ("spec", "py", "json", "prompt"):
        with pytest.raises(SpecError) as info:
            export_run(run_id, fmt, db_path)
        assert "models.task.api_base" in str(info.value) and _secrets_absent(str(info.value))


def test_redaction_masks_credentials_in_urls_and_more_key_shapes() -> None:
    text = (
        f"POST http://user:{KEY}@llm.example.com/v1 failed; retry "
        f"https://llm.example.com/v1?key={KEY}&region=eu with AKIAIOSFODNN7EXAMPL3"
    )
    masked = redact(text, [])
    assert _secrets_absent(masked) and "AKIA" not in masked
    assert "http://[redacted]@llm.example.com/v1" in masked and "&region=eu" in masked
    out = io.StringIO()
    writer = RedactingWriter(out)
    writer.write("auth wJalrXUtnFEMI-K7MDENG-bPxRfiCY9EXAMPLEKEY4 refused\n")
    writer.write("run 20261121-183501-3fa2c1 in Data_Support_Tickets_2024_Train_Set_v2\n")
    assert "wJalr" not in out.getvalue() and "[redacted] refused" in out.getvalue()
    assert "20261121-183501-3fa2c1 in Data_Support_Tickets_2024_Train_Set_v2" in out.getvalue()


# Issue 62 item 3: keys in the other places an endpoint URL can hold them. Decided by what the
# URL carries (a parameter whose value looks like a key, a random path segment), not by names.
APIM = "0123456789abcdef0123456789abcdef"  # Azure API Management: 32 hexadecimal digits
FUNC = "aB3dE9fG1hJ2kL4mN5pQ6rS7tU8vW0xY1zA2b+C3dE4fG5hJ6k/L7mN=="  # Azure Functions
OPAQUE = "Zk3j9Qx7Lm2Np5Rt8Vw1Yb4Cd6"
OTHER_SHAPES = {
    "subscription-key": f"https://apim.example.net/openai?subscription-key={APIM}",
    "azure-functions-code": f"https://fn.azurewebsites.net/api/chat?code={FUNC}",
    "functions-code-quoted": "https://fn.azurewebsites.net/api/chat?code="
    + FUNC.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"),
    "x-goog-api-key": f"https://generativelanguage.googleapis.com/v1beta?x-goog-api-key={OPAQUE}9",
    "path-parameter": f"https://llm.example.com/v1;api_key={KEY}",
    "path-parameter-any-name": f"https://llm.example.com/v1;session={OPAQUE}",
    "path-segment": f"https://llm.example.com/keys/{OPAQUE}/v1",
    "fragment": f"https://llm.example.com/v1#access_token={OPAQUE}",
    "second-parameter": f"https://llm.example.com/v1?api-version=2024-02-01&key2={APIM}",
}
LEGIT = [
    "http://127.0.0.1:8080/v1",
    "http://localhost:11434",  # Ollama
    "https://myres.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-02-01",
    "https://myres.openai.azure.com/openai/deployments/gpt-4o-mini-2024-07-18/chat/completions"
    "?api-version=2024-08-01-preview",
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
    "anthropic.claude-3-5-sonnet-20240620-v1:0/invoke",
    "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project-123456/locations/"
    "us-central1/publishers/google/models/gemini-1.5-pro-002:generateContent",
    "https://gateway.ai.cloudflare.com/v1/0123456789abcdef0123456789abcdef/my-gateway/openai",
    "https://pwk6gfu0sbzebwxr.us-east-1.aws.endpoints.huggingface.cloud/v1",
    "https://api-inference.huggingface.co/models/meta-llama/Meta-Llama-3.1-70B-Instruct",
    "http://127.0.0.1:8080/v1?run=20261127-183501-3fa2c1&deployment=0f0e1a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b",
]


def _no_key_in(text: str) -> bool:
    return all(part not in text for part in (APIM, FUNC[:20], OPAQUE, KEY))


@pytest.mark.parametrize("url", OTHER_SHAPES.values(), ids=OTHER_SHAPES.keys())
def test_a_key_in_another_place_of_the_url_is_refused_stored_nowhere_and_masked(
    url: str, tickets_spec, db_path: Path
) -> None:
    from engine.runs.export import export_run

    with pytest.raises(SpecError) as info:
        spec_from_dict(_spec(api_base=url))
    message = str(info.value)
    assert message.startswith("models.task.api_base: ") and "holds a URL with" in message
    assert "Never put a key in a URL" in message and WHERE in message and _no_key_in(message)
    with pytest.raises(LMConfigError):
        LM("openai/gpt-4o-mini", api_base=url)
    spec = _spec()
    spec["description"] = f"our gateway: {url}"  # quoted in free text: refused there too
    with pytest.raises(SpecError, match="description"):
        spec_from_dict(spec)
    with RunStore(db_path) as store:
        run_id = store.create_run(tickets_spec)
        tickets_spec.models.task.api_base = url  # set after validation: the store refuses it
        with pytest.raises(SpecError, match="models.task.api_base"):
            store.create_run(tickets_spec)
        assert len(store.list_runs()) == 1
    stored = tickets_spec.to_dict()
    stored["models"]["task"]["api_base"] = url
    with sqlite3.connect(db_path) as con:  # a run stored before the check: no export holds it
        con.execute("UPDATE runs SET spec = ? WHERE id = ?", [json.dumps(stored), run_id])
    for fmt in ("spec", "py"):
        with pytest.raises(SpecError, match="models.task.api_base"):
            export_run(run_id, fmt, db_path)
    masked = redact(f"POST {url} failed", [])
    if "/keys/" not in url:  # a path segment is refused at entry; masking covers parameters
        assert _no_key_in(masked) and "[redacted]" in masked, masked


@pytest.mark.parametrize("url", LEGIT)
def test_endpoint_urls_without_a_key_still_pass(url: str) -> None:
    assert spec_from_dict(_spec(api_base=url)).models.task.api_base == url
    assert LM("openai/gpt-4o-mini", api_base=url).api_base == url
    assert redact(url, []) == url

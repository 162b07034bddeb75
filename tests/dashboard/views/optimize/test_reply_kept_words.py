"""The Optimize page says, for a closed choice, whether the chosen model's answers are kept to
the labels: the embedded model always, a provider whose model takes a reply schema, or a server
the first call finds out about."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes

from dashboard.lmtools import REPLY_WORDS, UNKNOWN_REPLY_WORDS


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_each_kind_of_model_gets_its_own_words(app, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-server")
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    assert REPLY_WORDS["hints"] in _captions(at)
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    assert REPLY_WORDS["json_schema"] in _captions(at)
    at.text_input(key=k(at, "model_name")).set_value("openai/smollm2-135m").run()
    at.text_input(key=k(at, "api_base")).set_value("http://127.0.0.1:8080/v1").run()
    assert UNKNOWN_REPLY_WORDS in _captions(at)
    assert REPLY_WORDS["hints"] not in _captions(at)

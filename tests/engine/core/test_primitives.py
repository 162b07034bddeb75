import pytest

import engine as dspy


def test_example_inputs_labels_copy_without():
    ex = dspy.Example(question="q", answer="a", extra=1).with_inputs("question")
    assert ex.question == "q" and ex["answer"] == "a"
    assert dict(ex.inputs().items()) == {"question": "q"}
    assert dict(ex.labels().items()) == {"answer": "a", "extra": 1}
    copy = ex.copy(answer="b")
    assert copy.answer == "b" and ex.answer == "a" and copy.input_keys == ex.input_keys
    assert "extra" not in ex.without("extra")
    assert len(ex) == 3 and set(ex) == {"question", "answer", "extra"}


def test_example_without_inputs_explains_itself():
    with pytest.raises(ValueError, match="with_inputs"):
        dspy.Example(a=1).inputs()
    with pytest.raises(AttributeError, match="no field 'zzz'"):
        dspy.Example(a=1).zzz


def test_prediction_completions():
    pred = dspy.Prediction.from_completions([{"answer": "1"}, {"answer": "2"}])
    assert pred.answer == "1"
    assert [c["answer"] for c in pred.completions] == ["1", "2"]

"""DSPy's deeper module paths and the helpers DSPy's own tests import (issue 39, item 12, found
by tools/dspy_yardstick.py): `dspy.predict.predict`, `dspy.teleprompt.signature_opt`,
`dspy.primitives.module`, `dspy.dsp.utils.settings`, `dspy.configure_cache`, ... each checked
to exist in dspy 3.4.1 too."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

import engine as dspy
from engine.lm.cache import get_cache

ROOT = Path(__file__).resolve().parents[2]

DEEP = [
    ("predict.predict", ["Predict", "serialize_object"]), ("predict.best_of_n", ["BestOfN"]),
    ("predict.refine", ["Refine"]), ("predict.aggregation", ["majority"]),
    ("predict.chain_of_thought", ["ChainOfThought"]), ("predict.react", ["ReAct", "Tool"]),
    ("predict.parallel", ["Parallel"]), ("predict.program_of_thought", ["ProgramOfThought"]),
    ("predict.multi_chain_comparison", ["MultiChainComparison"]),
    ("teleprompt.signature_opt", ["COPRO"]), ("teleprompt.copro_optimizer", ["COPRO"]),
    ("teleprompt.knn_fewshot", ["KNNFewShot"]), ("teleprompt.bootstrap", ["BootstrapFewShot"]),
    ("teleprompt.random_search", ["BootstrapFewShotWithRandomSearch"]),
    ("teleprompt.ensemble", ["Ensemble"]), ("teleprompt.vanilla", ["LabeledFewShot"]),
    ("teleprompt.mipro_optimizer_v2", ["MIPROv2"]), ("teleprompt.simba", ["SIMBA"]),
    ("primitives.example", ["Example"]), ("primitives.prediction", ["Prediction", "Completions"]),
    ("primitives.module", ["Module", "set_attribute_by_name"]),
    ("primitives.python_interpreter", ["PythonInterpreter"]),
    ("primitives.code_interpreter", ["CodeInterpreterError"]),
    ("clients.base_lm", ["BaseLM", "LM_CLASS_STATE_KEY"]), ("clients.lm", ["LM"]),
    ("utils.exceptions", ["AdapterParseError", "ContextWindowExceededError"]),
    ("utils.callback_context", ["ACTIVE_CALL_ID"]),
    ("dsp.utils.settings", ["settings", "DEFAULT_CONFIG"]),
]  # fmt: skip


@pytest.mark.parametrize(("path", "names"), DEEP, ids=[p for p, _ in DEEP])
def test_deep_path_exists_here_and_in_dspy(path, names):
    ours = importlib.import_module(f"engine.{path}")
    assert [n for n in names if not hasattr(ours, n)] == []
    pytest.importorskip("dspy")
    theirs = importlib.import_module(f"dspy.{path}")
    assert [n for n in names if not hasattr(theirs, n)] == []


def test_set_attribute_by_name_follows_named_sub_module_paths():
    from engine.primitives.module import set_attribute_by_name

    root = dspy.Module()
    root.sub = dspy.Module()
    root.sub.items = [dspy.Module(), {"key": dspy.Module()}]
    set_attribute_by_name(root, "sub.items[1]['key'].flag", True)
    set_attribute_by_name(root, "sub.items[0].flag", 1)
    assert root.sub.items[1]["key"].flag is True and root.sub.items[0].flag == 1
    with pytest.raises(ValueError, match="attribute"):
        set_attribute_by_name(root, "sub.items[0]", 1)


def test_serialize_object_dumps_models_inside_containers():
    from engine.predict.predict import serialize_object

    class Site(pydantic.BaseModel):
        url: pydantic.HttpUrl

    value = {"sites": [Site(url="https://example.com")], "pair": (Site(url="https://a.b"), 1)}
    assert serialize_object(value) == {
        "sites": [{"url": "https://example.com/"}], "pair": ({"url": "https://a.b/"}, 1),
    }  # fmt: skip


def test_configure_cache_replaces_the_lm_cache_and_default_config_round_trips():
    before = get_cache()
    assert dspy.cache is before  # the per-directory cache until configure_cache replaces it
    try:
        memory_only = dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
        assert get_cache() is memory_only is dspy.cache and memory_only.directory is None
        off = dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        assert off.memory_size == 0
    finally:  # back to the per-directory caches (tests change the cache directory)
        from engine.lm import cache as cache_module

        cache_module._configured.clear()
    assert get_cache() is before
    from engine.dsp.utils.settings import DEFAULT_CONFIG

    dspy.configure(num_threads=2)
    dspy.configure(**DEFAULT_CONFIG, inherit_config=False)  # as DSPy's test fixture resets
    assert dspy.settings.num_threads == DEFAULT_CONFIG["num_threads"]


def test_yardstick_shim_resolves_dspy_to_engine(tmp_path):
    """tools/dspy_yardstick.py's `dspy` package: `import dspy.X` gives engine.X, same objects."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        yardstick = importlib.import_module("dspy_yardstick")
    finally:
        sys.path.pop(0)
    (tmp_path / "dspy").mkdir()
    (tmp_path / "dspy" / "__init__.py").write_text(yardstick.SHIM)
    code = (
        "import dspy, engine, engine.predict.refine as r\n"
        "from dspy.predict.refine import Refine\n"
        "from dspy.teleprompt.signature_opt import COPRO\n"
        "import dspy.utils.dummies\n"
        "assert dspy is engine and Refine is r.Refine and COPRO is engine.COPRO\n"
        "assert r.__spec__.name == 'engine.predict.refine'\n"
        "try:\n    import dspy.not_there\nexcept ImportError:\n    print('ok')\n"
    )
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr
    rows = yardstick.table({"suite": {"predict": ["predict/test_a.py"]},
                            "files": {"predict/test_a.py": {"dspy": 4, "engine": 3,
                                                            "missing": False}}})  # fmt: skip
    assert "| **predict** | **4** | **3** | **75%** |" in rows


def test_pickle_refusals_start_with_dspys_words(tmp_path):
    program = dspy.Predict("question -> answer")
    program.save(tmp_path / "state.pkl")
    with pytest.raises(ValueError, match="^Loading .pkl files can run arbitrary code"):
        dspy.Predict("question -> answer").load(tmp_path / "state.pkl")
    program.save(tmp_path / "whole", save_program=True)
    with pytest.raises(ValueError, match="^Loading with pickle is not allowed"):
        dspy.load(tmp_path / "whole")
    assert dspy.load(tmp_path / "whole", allow_pickle=True).signature.equals(program.signature)


def test_optimizer_output_is_marked_compiled():
    from engine.lm import ScriptedLM

    trainset = [dspy.Example(question="q", answer="a").with_inputs("question")]
    reply = "[[ ## answer ## ]]\na\n\n[[ ## completed ## ]]"
    student = dspy.Predict("question -> answer")
    with dspy.context(lm=ScriptedLM([reply], cycle=True)):
        compiled = dspy.LabeledFewShot(k=1).compile(student, trainset=trainset)
    assert compiled._compiled is True and student._compiled is False

"""Write docs/COMPATIBILITY.md: every public top-level name of dspy 3.4.1 and its status on
`engine` (supported / supported, with a difference / not supported), from `hasattr(engine,
name)` and the hand-kept DIFFERENCES and WHY_NOT below.

    python tools/compat_table.py           # rewrite docs/COMPATIBILITY.md
    python tools/compat_table.py --check   # exit 1 if the file is not what it would write

Needs `dspy` (3.4.1) installed. A name engine has and DIFFERENCES does not mention is
"supported"; a name engine lacks and WHY_NOT does not explain is "not supported" with "No note
yet.".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "COMPATIBILITY.md"
# written by `python tools/dspy_yardstick.py --tests <DSPy checkout> --write`
YARDSTICK = ROOT / "bench" / "results" / "dspy-yardstick.json"
YARDSTICK_BEFORE = ROOT / "bench" / "results" / "dspy-yardstick-before.json"
SUPPORTED, DIFFERENT, MISSING = "supported", "supported, with a difference", "not supported"

ISSUE = "issue 39 item"
# name -> how engine's differs from DSPy's (read only when engine has the name)
DIFFERENCES: dict[str, str] = {
    "clients": "`engine.clients` holds LM, BaseLM, Embedder, inspect_history, TrainingJob and the "
    "litellm logging switches; not Cache, Provider or the fine-tuning clients.",
    "utils": "`engine.utils` holds DummyLM, dummy_rm, pretty_print_history, callbacks "
    "(BaseCallback, with_callbacks; module, LM, adapter format/parse, tool, evaluate and "
    "compile calls are heard), asyncify, syncify, the usage tracker, load, `exceptions` (with "
    "the LM error family), `logging_utils` and `callback_context`; not DSPy's other helpers.",
    "streamify": "Status messages and the final Prediction; token streaming is not supported "
    "(a StreamListener is accepted and hears nothing).",
    "BaseLM": "`forward` always receives `messages` (a prompt arrives as one user message); "
    "the engine's LM cache is not used, as DSPy does not cache a custom forward.",
    "track_usage": "Counts only uncached calls, as DSPy; `Prediction.get_lm_usage()` without "
    "track_usage gives the engine's own totals instead of None; Parallel's workers add to the "
    "caller's tracker (DSPy gives each worker a copy, which the caller's tracker never sees).",
    "settings": "`settings.trace` is None unless something collects a trace (optimizers, "
    "Evaluate, `context(trace=[])`); a collected trace keeps its last `max_trace_size` entries. "
    "As in DSPy, only the thread that first called `configure` may call it again (others use "
    "`context`).",
    "Reasoning": "A text type (`reasoning: dspy.Reasoning`): written by the LM as text, or, "
    "with an LM that `supports_reasoning`, filled from the provider's `reasoning_content` with "
    "`reasoning_effort` (default \"low\"); reasoning is not streamed.",
    "Code": "`dspy.Code[\"python\"]`: the LM writes the code (a fenced block is unwrapped); its "
    "`description()` is the engine's own wording.",
    "Type": "The base of custom field types (`format()`, `description()`); a value whose "
    "`format()` gives content parts is sent as parts only for Image and File, with DSPy's "
    "layout (`dspy_prompts`).",
    "load": "Standard pickle (no cloudpickle): the program's classes must be importable where "
    "it is loaded; a lambda gives a clear error.",
    "Completions": "On a Prediction built by hand, `.completions` holds that one prediction "
    "(DSPy: None); completions with different keys are padded with None.",
    "Image": "In the engine's own layout the prompt carries its text form (DSPy's repr: the "
    "embedded model reads text only); with DSPy's layout (`dspy_prompts=True`) it is sent as an "
    "image part, as DSPy sends it, nested values too.",
    "File": "In the engine's own layout the prompt carries its text form (DSPy's repr); with "
    "DSPy's layout (`dspy_prompts=True`) it is sent as a file part, as DSPy sends it.",
    "ensure_signature": "`None` raises (DSPy returns None); a class plus instructions gets a "
    "copy with them (DSPy raises).",
    "ColBERTv2": "A client of a ColBERTv2 server (GET or POST, DSPy's shapes and errors); answers "
    "are cached in memory per process (DSPy also caches on disk).",
    "inspect_history": "Prints the configured LM's history (`settings.lm`, or `lm=`); DSPy prints "
    "one history shared by every LM.",
    "Retrieve": "With a `BM25` rm it asks for k passages, padded with zero-score ones as DSPy's "
    "BM25 retrieval returns; BM25 called directly returns matching passages only.",
    "GEPA": "Own search loop (no `gepa` package): `gepa_kwargs` sets the keys naming its own "
    "settings, refuses `reflection_prompt_template` and `max_reflection_cost` and warns on "
    "others; adds `num_iterations` (cap on iterations) and `verbose`; the metric may be set as "
    "`.metric` before compile. `teleprompt.gepa.instruction_proposal` offers a proposer with "
    "GEPA's protocol; the gepa package's adapter internals are not offered.",
    "COPRO": "`COPRO(verbose=True)` works (events to logging); the metric must be given to the "
    "constructor (DSPy's defaults to None). `track_stats=True` sets `total_calls`, "
    "`results_best` and `results_latest` on the compiled program.",
    "BootstrapFinetune": "Fine-tunes the embedded `local/...` models on this CPU with llama.cpp's "
    "own training API (full weights; `use_peft=True` is refused with a message, as are "
    "train_kwargs keys it does not take; hosted models go through an OpenAI-compatible "
    "fine-tuning API); rows are the adapter's own messages. Its train_kwargs default to 8 "
    "epochs at learning rate 3e-5, one row a step (`packing=False`), measured on this model "
    "(docs/design/finetune.md); DSPy's local trainer: 5 epochs, 8 rows a step, 1e-5. In the "
    "registry: specs and the Optimize page's \"Tune the model's weights\".",
    "BetterTogether": "`BetterTogether(metric, p=..., w=...)` and the seed documents' "
    "`optimizers=[...]` (run in order); on a tie on the held-out rows the later step wins.",
    "MIPROv2": "The metric may be left out of the constructor and set as `.metric` before "
    "compile (DSPy requires it up front).",
    "BootstrapFewShot": "`max_errors=n` stops at the n-th failed run, as DSPy, raising "
    "`TooManyErrors` (a RuntimeError naming and chaining the program's error); DSPy re-raises "
    "the error itself.",
    "ContextWindowExceededError": "An LMInvalidRequestError as DSPy's; same `model`/`message` "
    "fields and text; the message may also be given positionally.",
    "CodeInterpreter": "DSPy's protocol (`tools`, `start`, `execute`, `shutdown`); the engine's "
    "PythonInterpreter offers no host tools (`tools` is empty) and starts a fresh sandbox "
    "process per `execute`, so names do not persist between calls.",
    "DSPyError": "Is `engine.TunesmithError`, the base of every error the engine raises on "
    "purpose (DSPy's covers fewer); takes DSPy's metadata keywords (`code`, `model`, `status`, "
    "`retry_after`, ...).",
    "LMConfigurationError": "Is `engine.LMConfigError` (a bad model name, an unknown model, a "
    "missing or rejected key: LMNotConfiguredError, LMAuthError and LMUnsupportedModelError "
    "are raised as its subclasses too, so either name catches them).",
    "is_retryable_lm_error": "Classifies the family as DSPy's; the engine's LM has already "
    "retried a provider's transient error (backoff, Retry-After) before it raises one.",
    "Audio": "Sent as an `input_audio` content part in both prompt layouts (the engine's layout "
    "writes a placeholder where the part goes); the embedded `local/...` models read text only "
    "and raise `LMUnsupportedFeatureError`. `from_array` writes 16-bit WAV itself (other formats "
    "need soundfile); a plain path string is refused (use `from_path`).",
    "CodeAct": "Code runs in the engine's sandbox, a fresh process per step: earlier steps' code "
    "is replayed with printing silenced, so their names stay defined. Tools must be plain "
    "functions; their source runs inside the sandbox with its rights only. Instructions in the "
    "engine's words; not deprecated (the engine has no RLM).",
    "InferRules": "Rules induced with the engine's own prompt and appended under \"Follow these "
    "rules when you answer:\"; candidates are scored through the optimizer spine (events, "
    "budget, best kept); a metric is required. Not in the optimizer registry (code only, not "
    "the dashboard's list).",
    "TrainingJob": "A Future running the engine's trainers (the embedded model's llama.cpp "
    "trainer, or a hosted OpenAI-compatible fine-tuning API): `TrainingJob(model=, "
    "train_data=, train_kwargs=).start()`; `result()` is the tuned model's LM, `status()` says "
    "pending/running/succeeded/failed/cancelled. `LM.finetune` is not offered.",
    "bootstrap_trace_data": "DSPy's call shape and result dicts; a failed parse's "
    "`FailedPrediction` carries the raw reply; `callback_metadata` is accepted and not used.",
    "EmbeddingsWithScores": "The same search as `Embeddings`, whose results carry `.scores` "
    "too; results are a list of passages with `.passages`, `.indices` and `.scores`.",
    "configure_dspy_loggers": "Give it the logger to configure (\"engine\" for the engine's "
    "records); the engine does not configure its loggers on import as DSPy does.",
    "disable_logging": "Also silences the engine logger's records on the application's own "
    "handlers.",
    "primitives": "`engine.core` holds Example, Prediction and Module, and DSPy's module "
    "paths (`example`, `prediction`, `module` with `set_attribute_by_name`, "
    "`python_interpreter`, `code_interpreter`); not BaseModule.",
    "predict": "`engine.predict` re-exports engine.modules (and KNN), with DSPy's module paths "
    "(`predict.predict`, `predict.refine`, ...) and CodeAct; not RLM, ReActV2.",
    "teleprompt": "Every engine optimizer plus DSPy 2.x's `MIPRO` and `BayesianSignatureOptimizer`,"
    " with DSPy's module paths (`signature_opt`, `knn_fewshot`, `bootstrap`, `random_search`, "
    "`gepa` with `instruction_proposal`, `bootstrap_trace`, ...; not the gepa package's adapter "
    "internals); InferRules and bootstrap_trace_data; not AvatarOptimizer.",
    "XMLAdapter": "Fields as `<name>...</name>`; the message layout is the chat adapter's "
    "(prefix-friendly: the output request ends the system message), with its one JSON fallback "
    "call.",
    "TwoStepAdapter": "The extraction model reads the main answer through engine's ChatAdapter; "
    "any callable LM is accepted as `extraction_model`.",
    "ChatAdapter": "DSPy's options, native function calling (`list[Tool]` in, `ToolCalls` out: "
    "`tools=`, the provider's calls read back with their ids) and native reasoning. The "
    "engine's layout asks for the outputs in the system message, before the inputs "
    "(prefix-friendly: what its optimizers are measured with); `dspy_prompts=True` or "
    "`TUNESMITH_DSPY_PROMPTS=1` gives DSPy's layout word for word. The engine's ReAct writes "
    "its tool calls as fields.",
    "JSONAdapter": "DSPy's options (`use_native_function_calling` defaults to True as DSPy's); "
    "native tool calls and reasoning as the chat adapter's; the engine's own prompt unless "
    "`dspy_prompts=True`; no structured-output `response_format` is sent.",
    "ProgramOfThought": "Code runs in engine's sandbox; `interpreter_factory=` (or "
    "`configure(interpreter_factory=)`) or an interpreter passed positionally runs it in the "
    "caller's interpreter instead, which is outside the sandbox's guarantee. A "
    "`CodeExecutionError` goes back to the LM, a bare `CodeInterpreterError` stops the program, "
    "as in DSPy. Not deprecated (the engine has no RLM).",
    "syncify": "Inside a running event loop the program runs on its own loop in a helper thread "
    "(DSPy applies nest_asyncio); a module without its own `aforward` is refused.",
    "configure_cache": "Replaces the process-wide LM cache (memory LRU + SQLite of JSON): "
    "`disk_size_limit_bytes` caps the file (oldest entries first, DSPy's 30 GB by default; under "
    "256 KiB is refused); `restrict_pickle` and `safe_types` are accepted and have nothing to "
    "restrict.",
    "cache": "The process-wide LM cache (`engine.lm.cache.RequestCache`); assigning "
    "`engine.cache` does not change the cache LMs use (`configure_cache` does).",
    "dsp": "Only `dsp.utils.settings` (`settings`, `DEFAULT_CONFIG`), for imports DSPy code "
    "writes; `ColBERTv2` is `engine.ColBERTv2`.",
    "Predict": "With no LM configured it raises `NoLMConfiguredError` (a ValueError, DSPy's "
    "message) after checking the inputs; a missing input raises `MissingInputError` (DSPy "
    "warns). The dashboard and the CLI turn on the embedded model as the default "
    "(`use_embedded_default`). `reset()` clears the LM, traces, train and demos as DSPy's; "
    "`reset_copy()` keeps each predictor's own LM.",
    "FinalOutput": "Returned by a caller's interpreter for `SUBMIT(...)`; ProgramOfThought shows "
    "its value to the LM.",
    "Tool": "`Tool.from_mcp_tool(session, tool)` as DSPy's (awaited in the session's loop with "
    "`acall`), a reply as one text (its text parts joined; no `result_mode='structured'`); for "
    "plain synchronous code `engine.adapters.mcp.McpServer(command)` starts a server over "
    "stdio and gives its tools. No `from_langchain`.",
    "ToolCallResults": "Results of tool calls, kept with `ToolCalls(tool_call_results=...)`: an "
    "earlier History turn shows them as a `tool_call_results` message (as native tool messages "
    "with DSPy's layout and native calling); the engine's ReAct writes observations into its "
    "trajectory.",
    "Evaluate": "`save_as_json` / `save_as_csv` write one record per example; "
    "`display_progress` and `display_table` are kept as attributes (progress goes to "
    "`progress=` and logging); a metric with `**kwargs` also gets `trace`. An unknown keyword "
    "is taken, as DSPy takes it, and named in a warning with the keyword it was probably meant "
    "to be.",
    "evaluate": "Evaluate, metrics (answer_exact_match with a list of answers, "
    "answer_passage_match, EM, SemanticF1, CompleteAndGrounded) and engine's own metrics; "
    "SemanticF1/CompleteAndGrounded judge with engine's prompts (not ChainOfThought modules) and "
    "return a `Prediction(score=, feedback=)` that also reads as its score.",
}
# name -> why engine lacks it (read only when it does; a name engine gains becomes "supported")
WHY_NOT: dict[str, str] = {
    "AvatarOptimizer": "Deprecated in DSPy; not planned.",
    "BootstrapFewShotWithOptuna": "Deprecated in DSPy (MIPROv2 covers the Optuna search).",
    "RLM": "Experimental in DSPy; not planned.",
    "ReActV2": "Experimental in DSPy; not planned.",
    "Flex": "Experimental in DSPy; not planned.",
    "SandboxSerializable": "RLM's sandbox types; not planned.",
    "LocalInterpreter": "Runs code on the host without a sandbox; the engine runs code only in "
    "its own sandbox (`PythonInterpreter`); not planned.",
    "OldField": "DSPy 2.x's field API, deprecated; not planned.",
    "OldInputField": "DSPy 2.x's field API, deprecated; not planned.",
    "OldOutputField": "DSPy 2.x's field API, deprecated; not planned.",
    "Provider": "The base of DSPy's fine-tuning providers; the engine's trainers (embedded "
    "llama.cpp, hosted OpenAI-compatible) are reached through BootstrapFinetune and TrainingJob.",
    "propose": "DSPy's proposer internals; engine's are `engine.optimizers.proposing`.",
    "lm15": "DSPy's bundled provider layer; the engine uses litellm.",
    "threading": "A module DSPy re-exports by accident; not an API.",
}

# DSPy 3.4's LM error family: the same classes, bases and codes (engine.core._errors)
_RAISED = (
    "Raised by the engine's LM (`engine.lm.calls.error_map`) for the provider fault it names, "
)
for _name, _note in {
    "LMAuthError": _RAISED + "as `ProviderAuthError`, also an `engine.LMConfigError`.",
    "LMNotConfiguredError": _RAISED + "a missing key; also an `engine.LMConfigError`.",
    "LMUnsupportedModelError": _RAISED + "as `UnknownModelError` (no provider knows the model, "
    "or it was not found), also an `engine.LMConfigError`.",
    "LMTimeoutError": _RAISED + "after retries, as `ProviderTimeoutError`, also an "
    "`engine.ProviderUnreachableError`.",
    "LMTransportError": _RAISED + "after retries, as `ProviderConnectionError`, also an "
    "`engine.ProviderUnreachableError`.",
    "LMUnsupportedFeatureError": "Raised by the embedded model for audio, image or file inputs "
    "(it reads text only).",
    "LMLockTimeoutError": "For a custom LM to raise; the engine itself never raises it.",
    "LMCollectionLimitError": "For a custom LM to raise; the engine itself never raises it.",
    "LMStreamAssemblyError": "For a custom LM to raise; the engine does not stream tokens.",
}.items():
    DIFFERENCES.setdefault(_name, _note)

# names engine offers beyond dspy 3.4.1's top level, with why
EXTRA: dict[str, str] = {
    "experimental": "DSPy's `dspy.experimental` path with `Citations` and `Document` (a Document "
    "input is shown as its title and text; Citations are read from the reply's JSON; no native "
    "citation API); not its other experimental names.",
    "MIPRO": "DSPy 2.x's name of MIPROv2 (auto=None, DSPy 2.x's compile keywords); warns once.",
    "BayesianSignatureOptimizer": "DSPy 2.x's instruction-only optimizer: MIPROv2 with no demo "
    "search, `compile(student, devset=, optuna_trials_num=)`; warns once.",
    "SemanticF1": "`dspy.evaluate.SemanticF1` at the top level too (seed 000 writes "
    "`dspy.SemanticF1()`).",
    "CompleteAndGrounded": "`dspy.evaluate.CompleteAndGrounded` at the top level too.",
    "answer_exact_match": "`dspy.evaluate.answer_exact_match` at the top level too.",
    "answer_passage_match": "`dspy.evaluate.answer_passage_match` at the top level too.",
}


def dspy_names() -> list[str]:
    """`[n for n in dir(dspy) if not n.startswith('_')]` right after `import dspy`, in a fresh
    interpreter (dspy adds names such as `cache` to its namespace once they are used)."""
    code = "import dspy; print('\\n'.join(n for n in dir(dspy) if not n.startswith('_')))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return sorted(done.stdout.split())


def rows() -> list[tuple[str, str, str]]:
    """(name, status, note) for every public top-level name of dspy."""
    import engine

    out = []
    for name in dspy_names():
        if hasattr(engine, name):
            note = DIFFERENCES.get(name, "")
            out.append((name, DIFFERENT if note else SUPPORTED, note))
        else:
            out.append((name, MISSING, WHY_NOT.get(name, "No note yet.")))
    return out


def render() -> str:
    import dspy

    import engine

    table = rows()
    counts = {s: sum(1 for _, st, _ in table if st == s) for s in (SUPPORTED, DIFFERENT, MISSING)}
    lines = [
        "# DSPy compatibility",
        "",
        f"Every public top-level name of dspy {dspy.__version__} (`dir(dspy)`) and its status "
        "with `import engine as dspy`. Generated by `python tools/compat_table.py` from "
        "`hasattr(engine, name)` and the notes kept in that script; edit the notes there, then "
        "run it.",
        "",
        f"{len(table)} names: {counts[SUPPORTED]} supported, {counts[DIFFERENT]} supported with "
        f"a stated difference, {counts[MISSING]} not supported.",
        "",
        "| Name | Status | Difference, or why not |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{n}` | {s} | {note} |" for n, s, note in table]
    lines += [
        "",
        "## Beyond dspy's top level",
        "",
        "| Name | Note |",
        "| --- | --- |",
    ]
    lines += [f"| `{n}` | {note} |" for n, note in sorted(EXTRA.items()) if hasattr(engine, n)]
    lines += yardstick_section()
    return "\n".join(lines) + "\n"


def _totals(path: Path) -> tuple[int, int]:
    files = json.loads(path.read_text(encoding="utf-8"))["files"].values()
    return sum(f["dspy"] for f in files), sum(f["engine"] for f in files)


def yardstick_section() -> list[str]:
    """DSPy's own unit tests run with `dspy` resolved to `engine`, from the saved results."""
    if not YARDSTICK.exists():
        return []
    path = ROOT / "tools" / "dspy_yardstick.py"
    spec = importlib.util.spec_from_file_location("dspy_yardstick", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    results = json.loads(YARDSTICK.read_text(encoding="utf-8"))
    lines = [
        "",
        "## DSPy's own tests as the yardstick",
        "",
        "DSPy's unit tests for the API issue 39 names, run once with `dspy` and once with `dspy` "
        "resolved to `engine` (a `dspy` package that maps every `dspy.X` import to `engine.X`). "
        "Counted: the tests that pass on dspy, and how many of those pass on engine. Run "
        "`python tools/dspy_yardstick.py --tests /work/.mirror/stanfordnlp+dspy/repo --write` "
        "(any DSPy checkout; its tests are copied to a temporary folder), then "
        "`python tools/compat_table.py`. The saved results "
        f"(`{YARDSTICK.relative_to(ROOT)}`) also list, per file, the tests lost on engine. "
        "The engine run opts into DSPy's prompt layout (`TUNESMITH_DSPY_PROMPTS=1`, off by "
        "default), as DSPy's adapter tests compare prompts word for word; the line under the "
        "table gives the count with the engine's default layout.",
        "",
    ]
    if YARDSTICK_BEFORE.exists():
        d, e = _totals(YARDSTICK_BEFORE)
        lines += [
            f"Before the issue-39 yardstick fixes: {e} of {d} (DSPy's test fixture needs "
            "`dspy.cache`, `dspy.configure_cache` and `dspy.dsp.utils.settings`, so every test "
            "failed in setup; without them, missing module paths took whole files down).",
            "",
        ]
    lines.append(tool.table(results))
    differs = tool.differs_list(results)
    if differs:
        lines += [
            "",
            "Lost tests where the engine differs on purpose (counted as lost in the ratio; the "
            "last column leaves them out), by reason:",
            "",
            differs,
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            sys.stderr.write(f"{OUT} is out of date: run python tools/compat_table.py\n")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

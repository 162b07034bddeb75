"""BootstrapFewShotWithRandomSearch: DSPy's candidate scheme, best-on-val selection, early stop."""

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import BootstrapFewShotWithRandomSearch, BootstrapRS, RunContext


def qa(n, start=0):
    return [
        dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def demo_hungry(messages):
    """Right on q<i> when i < 4 * (number of demos in the prompt): more demos, more right."""
    demos = sum(1 for m in messages if m["role"] == "assistant")
    number = input_fields(messages[-1]["content"])["question"][1:]
    return {"answer": number if int(number) % 20 < 4 * demos else "x"}


def compile_rs(lm, *, train=None, val=None, seed=0, **params):
    params = {"metric": exact, "num_candidate_programs": 4, "max_bootstrapped_demos": 3, **params}
    with dspy.context(lm=lm):
        return BootstrapFewShotWithRandomSearch(**params).compile(
            dspy.Predict("question -> answer"),
            trainset=train or qa(12),
            valset=val or qa(10, start=20),
            run=RunContext(seed=seed),
        )


def test_candidate_scheme_follows_dspy():
    compiled = compile_rs(ScriptedLM(by_input=demo_hungry), max_labeled_demos=2, race=False)
    origins = [c.origin for c in compiled.result.candidates]
    assert origins[0] == "baseline (student as given)"  # the zero-shot student: also seed -3
    assert origins[1].startswith("labeled demos only (seed -2")
    assert origins[2].startswith("bootstrap seed -1 (unshuffled")
    assert all(
        o.startswith(f"bootstrap seed {s} (shuffled")
        for s, o in zip(range(4), origins[3:], strict=True)
    )
    assert len(compiled.result.trials) == 7  # baseline == seed -3, then -2, -1, 0..3
    for candidate in compiled.result.candidates[3:]:
        demos = candidate.state["demos"]
        boot = [d for d in demos if d.get("augmented")]
        assert 1 <= len(boot) <= 3 and len(demos) <= max(2, len(boot))


def test_demo_counts_are_random_but_seeded():
    rs = BootstrapFewShotWithRandomSearch(
        metric=exact, num_candidate_programs=16, max_bootstrapped_demos=4
    )
    counts = [rs.demo_count(0, s) for s in range(16)]
    assert counts == [rs.demo_count(0, s) for s in range(16)]
    assert set(counts) <= {1, 2, 3, 4} and len(set(counts)) > 1
    assert counts != [rs.demo_count(1, s) for s in range(16)]
    assert rs.demo_count(0, -1) == 4 and rs.demo_count(0, -3) == 0


def test_best_candidate_on_val_wins_and_is_returned():
    compiled = compile_rs(ScriptedLM(by_input=demo_hungry), max_labeled_demos=3)
    result = compiled.result
    val_trials = [t for t in result.trials if t.subset == "val"]
    best = max(val_trials, key=lambda t: t.score)
    assert result.best_score == best.score and result.best_candidate == best.candidate
    assert result.best_score > result.baseline_score == 0.0
    from engine.optimizers import Candidate

    assert Candidate.from_program(compiled).hash == result.best_candidate
    first_best = next(t for t in val_trials if t.score == best.score)
    assert first_best.candidate == best.candidate  # ties go to the earliest candidate
    scores = [e.data["score"] for e in result.events if e.type == "best_changed"]
    assert scores == sorted(scores) and scores[-1] == best.score


def test_stop_at_score_ends_the_search_early():
    lm = ScriptedLM(by_input=demo_hungry)
    compiled = compile_rs(lm, max_labeled_demos=3, stop_at_score=0.5, num_candidate_programs=10)
    trials = compiled.result.trials
    assert trials[-1].score >= 0.5 and len(trials) < 13
    assert any("stop_at_score" in e.data.get("message", "") for e in compiled.result.events)
    # percent scale (as DSPy's Evaluate reports) is understood too
    again = compile_rs(
        ScriptedLM(by_input=demo_hungry),
        max_labeled_demos=3,
        stop_at_score=50,
        num_candidate_programs=10,
    )
    assert len(again.result.trials) == len(trials)


def test_same_seed_same_result_and_alias():
    first = compile_rs(ScriptedLM(by_input=demo_hungry), seed=3)
    second = compile_rs(ScriptedLM(by_input=demo_hungry), seed=3)
    assert first.dump_state() == second.dump_state()
    assert [c.hash for c in first.result.candidates] == [c.hash for c in second.result.candidates]
    assert BootstrapRS is BootstrapFewShotWithRandomSearch
    assert (
        dspy.BootstrapRS is BootstrapRS
        and dspy.teleprompt.BootstrapFewShotWithRandomSearch is BootstrapRS
    )


def test_valset_defaults_to_trainset():
    lm = ScriptedLM(by_input=demo_hungry)
    with dspy.context(lm=lm):
        compiled = BootstrapFewShotWithRandomSearch(metric=exact, num_candidate_programs=1).compile(
            dspy.Predict("question -> answer"), trainset=qa(6)
        )
    assert {t.n for t in compiled.result.trials if t.subset == "val"} == {6}
    assert {t.subset for t in compiled.result.trials} <= {"val", "minibatch"}


def never_perfect(messages):
    """Right on q<i> when 7i % 10 < 3 * demos, at most 8 of 10: candidates differ, none is
    perfect, and misses come early in the valset."""
    demos = sum(1 for m in messages if m["role"] == "assistant")
    number = input_fields(messages[-1]["content"])["question"][1:]
    return {"answer": number if 7 * int(number) % 10 < min(8, 3 * demos) else "x"}


def test_racing_stops_weak_candidates_and_keeps_the_choice_of_full_scoring():
    # one thread: an instant scripted LM would finish every example before the stop is seen
    options = {"max_labeled_demos": 1, "num_threads": 1}
    full = compile_rs(ScriptedLM(by_input=never_perfect), race=False, **options)
    raced_lm = ScriptedLM(by_input=never_perfect)
    raced = compile_rs(raced_lm, **options)
    assert raced_lm.calls_made < full.result.usage["calls"]
    assert raced.result.best_candidate == full.result.best_candidate
    assert raced.result.best_score == full.result.best_score
    partial = [t for t in raced.result.trials if t.subset == "minibatch"]
    assert partial and all(t.n < 10 for t in partial)
    assert raced.result.best_candidate not in {t.candidate for t in partial}
    assert any(
        "can no longer beat the best" in e.data.get("message", "") for e in raced.result.events
    )


def test_racing_is_off_for_metrics_scoring_above_one():
    def generous(example, prediction, trace=None):  # 0 or 2: racing's bound would be wrong
        return 2.0 * (example.answer == prediction.answer)

    compiled = compile_rs(ScriptedLM(by_input=demo_hungry), max_labeled_demos=2, metric=generous)
    assert {t.subset for t in compiled.result.trials} == {"val"}


def test_one_teacher_gives_every_seed_seed_minus_one_teacher_so_its_prompts_repeat():
    """`one_teacher=True` (docs/design/DEVIATIONS.md, "One teacher"): every teacher
    prompt shows the same labeled demos less the row itself, so a row one seed traced is the
    same prompt for the next, which the LM cache answers: no training row is paid for twice."""
    teacher_calls = []

    def recording(messages):  # called on cache misses only
        demos = [
            input_fields(m["content"])["question"]
            for m in messages[:-1]
            if m["role"] == "user" and "question" in input_fields(m["content"])
        ]
        question = input_fields(messages[-1]["content"])["question"]
        if int(question[1:]) < 12:  # a training row: a teacher run
            teacher_calls.append((tuple(demos), question))
        return demo_hungry(messages)

    lm = ScriptedLM(by_input=recording, cache=True)
    compiled = compile_rs(lm, max_labeled_demos=4, race=False, one_teacher=True)
    bootstrapped = [c for c in compiled.result.candidates if c.origin.startswith("bootstrap seed")]
    assert len(bootstrapped) == 5  # seeds -1, 0..3
    teachers = {
        frozenset(demos) | ({row} if len(demos) < 4 else set()) for demos, row in teacher_calls
    }
    assert len(teachers) == 1 and len(next(iter(teachers))) == 4
    assert len(teacher_calls) == len(set(teacher_calls)) <= 12
    one_teacher_calls = len(teacher_calls)

    teacher_calls.clear()  # the default, DSPy's draw: each seed's teacher from its own shuffle
    lm = ScriptedLM(by_input=recording, cache=True, name="dspy-draw")  # its own cache entries
    compile_rs(lm, max_labeled_demos=4, race=False)
    teachers = {
        frozenset(demos) | ({row} if len(demos) < 4 else set()) for demos, row in teacher_calls
    }
    assert len(teachers) == 5 and len(teacher_calls) > one_teacher_calls

"""Write docs/RELIABILITY.md from the battery's JSON-lines log (never typed by hand).

    python3 tests/reliability/report.py [LOG] [OUT]

LOG defaults to .cache/reliability/log.jsonl (what a pytest session writes), OUT to
docs/RELIABILITY.md. Records are {"kind": ..., "case": <test node id>, ...}:

- case: one per test case of the battery and of the attack families, with its pytest
  outcome (tests/conftest.py writes them; an attack case carries its `family`);
- session: the files the run was expected to cover (tests/conftest.py, at its end);
- fault, crash, file, secret_scan, fuzz, concurrency, exposure: what a case observed
  (reliability_log.observe), each with `held`.

Every count is of observed outcomes: a record counts as held only when its `held` is true and
its case did not fail, so a failing case shows on the page as a failure and the page can show
less than 100%.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / ".cache" / "reliability" / "log.jsonl"
OUT = ROOT / "docs" / "RELIABILITY.md"
NOT_HELD = ("failed", "xfailed")  # case outcomes that fail the records the case wrote

Items = list[dict[str, Any]]


def read_log(path: Path) -> Items:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


class Outcomes:
    """The outcome of each test case (from its `case` record) and whether a record held."""

    def __init__(self, cases: Items) -> None:
        self.of = {str(c.get("case")): str(c.get("outcome")) for c in cases}

    def held(self, item: dict[str, Any]) -> bool:
        return item.get("held") is True and self.of.get(str(item.get("case"))) not in NOT_HELD


def _label(item: dict[str, Any], *keys: str) -> str:
    return next((str(item[k]) for k in keys if item.get(k) not in (None, "")), "other")


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def _short(text: Any, width: int = 160) -> str:
    flat = " ".join(str("" if text is None else text).split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _outcome(cases: Items, sessions: Items, records: Items) -> list[str]:
    if not cases:
        return ["No test-case records in this log (it was not written by a pytest session)."]
    by = Counter(str(c.get("outcome")) for c in cases)
    failed = [c for c in cases if c.get("outcome") in NOT_HELD]
    expected = sorted({f for s in sessions for f in s.get("files", [])})
    ran = {str(c.get("file")) for c in cases}
    missing = [f for f in expected if f not in ran]
    short = [f"{n} {k}" for k, n in sorted(by.items()) if k != "passed"]
    short += [f"{_count(len(missing), 'test file')} did not run"] if missing else []
    head = (f"**All {len(cases)} cases passed.**" if not short else
            f"**{by['passed']} of {len(cases)} cases passed: " + ", ".join(short) + ".**")
    lines = [head]
    wrote = Counter(str(r.get("case")) for r in records)
    if failed:
        lines += ["", "| failed case | outcome | what it saw |", "|---|---|---|"]
        lines += [f"| `{_short(c.get('case'), 120)}` | {c.get('outcome')} | "
                  f"{_short(c.get('reason')) or '—'}"
                  + ("" if wrote[str(c.get("case"))] else " (it recorded no observation)") + " |"
                  for c in failed]  # fmt: skip
    if missing:
        lines += ["", "Test files of the battery that reported no case: "
                  + ", ".join(f"`{f}`" for f in missing) + "."]  # fmt: skip
    skipped = [c for c in cases if c.get("outcome") == "skipped"]
    if skipped:
        lines += ["", "| skipped case | why |", "|---|---|"]
        lines += [f"| `{_short(c.get('case'), 120)}` | {_short(c.get('reason'))} |"
                  for c in skipped]  # fmt: skip
    return lines


def _headline(total: int, held: int, tried: str, verb: str) -> str:
    line = f"**{total} {tried}, {held} {verb}"
    return line + (".**" if held == total else f"; {total - held} did not.**")


def _faults(items: Items, cases: Outcomes) -> list[str]:
    if not items:
        return ["No fault-injection records in this run."]
    injected: Counter[str] = Counter()
    survived: Counter[str] = Counter()
    for i in items:
        kind, n = _label(i, "fault"), int(i.get("injected", 1))
        injected[kind] += n
        survived[kind] += n if cases.held(i) else 0
    lines = [_headline(sum(injected.values()), sum(survived.values()), "faults injected",
                       "survived"), "",
             "| fault | injected | survived |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {k} | {n} | {survived[k]} |" for k, n in sorted(injected.items())]
    return lines


def _crashes(items: Items, cases: Outcomes) -> list[str]:
    if not items:
        return ["No crash-matrix records in this run."]
    tries: Counter[tuple[str, str]] = Counter()
    resumed: Counter[tuple[str, str]] = Counter()
    for i in items:
        key = (_label(i, "optimizer"), _label(i, "phase"))
        tries[key] += 1
        resumed[key] += cases.held(i)
    lines = [_headline(sum(tries.values()), sum(resumed.values()), "crash points tried",
                       "resumed correctly"), "",
             "| optimizer | phase | tries | resumed |", "|---|---|---:|---:|"]  # fmt: skip
    lines += [f"| {o} | {p} | {n} | {resumed[(o, p)]} |" for (o, p), n in sorted(tries.items())]
    return lines


def _files(items: Items, cases: Outcomes) -> list[str]:
    if not items:
        return ["No hostile-file records in this run."]
    by_path: dict[str, Counter[str]] = defaultdict(Counter)
    for i in items:
        row = by_path[_label(i, "path")]
        row["tried"] += 1
        row["refused" if i.get("refused") else "accepted"] += 1
        row["held"] += cases.held(i)
    total = Counter[str]()
    for row in by_path.values():
        total.update(row)
    lines = [_headline(total["tried"], total["held"], "hostile files and names tried",
                       "handled as they should be"),
             "", f"{total['refused']} were refused with a message, {total['accepted']} read "
             "correctly or made safe (as each case expects).", "",
             "| loader path | tried | refused | accepted | as expected |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    lines += [f"| {p} | {c['tried']} | {c['refused']} | {c['accepted']} | {c['held']} |"
              for p, c in sorted(by_path.items())]  # fmt: skip
    return lines


def _secrets(items: Items, cases: Outcomes) -> list[str]:
    if not items:
        return ["No secret-scan records in this run."]
    files = sum(int(i.get("files", 0)) for i in items)
    hits = sum(int(i.get("hits", 0)) for i in items)
    held = sum(cases.held(i) for i in items)
    lines = [f"**{len(items)} scans, {files} files and rendered pages read, "
             f"{_count(hits, 'leak')} found" + ("" if held == len(items) else
             f"; {len(items) - held} scans did not hold") + ".**", "",
             "| scan | files | leaks | held |", "|---|---:|---:|---|"]  # fmt: skip
    lines += [f"| {_label(i, 'scope')} | {i.get('files', 0)} | {i.get('hits', 0)} | "
              f"{_yes(cases.held(i))} |" for i in items]  # fmt: skip
    return lines


def _attacks(items: Items) -> list[str]:
    if not items:
        return ["No attack records in this run."]
    tried: Counter[str] = Counter(str(i.get("family")) for i in items)
    held: Counter[str] = Counter(str(i.get("family")) for i in items
                                 if i.get("outcome") == "passed")  # fmt: skip
    total = sum(tried.values())
    lines = [_headline(total, sum(held.values()), "attacks tried", "held")
             + " Each is one test case, held when it passed (a hypothesis property test counts "
             "once, whatever it generated; a skipped case counts as not held).", "",
             "| attack family | tried | held |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {family} | {tried[family]} | {held[family]} |" for family in sorted(tried)]
    return lines


def _fuzz(items: Items, cases: Outcomes) -> list[str]:
    if not items:
        return ["No fuzz records in this run."]
    examples: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    for i in items:
        examples[_label(i, "target")] += int(i.get("examples", 0))
        crashes[_label(i, "target")] += int(i.get("crashes", 0)) or (not cases.held(i))
    crashed = _count(sum(crashes.values()), "crash", "crashes")
    lines = [f"**{sum(examples.values())} generated inputs, {crashed}** (a crash: an input that "
             "raised something other than the project's typed errors).", "",
             "| target | examples | crashes |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {k} | {n} | {crashes[k]} |" for k, n in sorted(examples.items())]
    return lines


def _table(items: Items, what: str, cols: tuple[str, ...], cases: Outcomes) -> list[str]:
    if not items:
        return [f"No {what} records in this run."]
    held = sum(cases.held(i) for i in items)
    lines = [_headline(len(items), held, f"{what} checks", "held"), "",
             "| " + " | ".join((*cols, "held")) + " |", "|" + "---|" * (len(cols) + 1)]
    lines += ["| " + " | ".join(_short(i.get(c, "")) for c in cols) + f" | {_yes(cases.held(i))} |"
              for i in items]  # fmt: skip
    return lines


def _command(sessions: Items) -> str:
    files = sorted({f for s in sessions for f in s.get("files", [])})
    extra = [f for f in files if not f.startswith("tests/reliability/")]
    return " ".join(["python3 -m pytest -q tests/reliability", *extra])


def render(items: Items) -> str:
    kinds: dict[str, Items] = defaultdict(list)
    for item in items:
        kinds[str(item.get("kind"))].append(item)
    cases = Outcomes(kinds["case"])
    observed = [i for k, group in kinds.items() if k not in ("case", "session") for i in group]
    attacks = [c for c in kinds["case"] if c.get("family")]
    parts = [
        "# Reliability and security battery",
        "",
        "Generated by `tests/reliability/report.py` from the log of the last full run of the "
        "battery; do not edit by hand.",
        "",
        "**When it is written.** At the end of every pytest session that ran the whole battery "
        "(every test file of `tests/reliability/` and every attack-family file named in "
        "`ATTACK_FAMILIES` of `tests/conftest.py`, with no `-k`, `-m`, `--lf`, `--deselect`, "
        "`--ignore` of them or `file::case` selection), whatever its outcome: a case that "
        "failed is shown here as a failure. A session that ran only some of those files, or "
        "that stopped early (`-x`, `--maxfail`, Ctrl-C), leaves the page as it was. "
        "`make test` runs the battery; on its own:",
        "",
        f"    {_command(kinds['session'])}",
        "",
        "`python3 tests/reliability/report.py` rewrites the page from the last session's log "
        "(`.cache/reliability/log.jsonl`).",
        "",
        "**What is counted.** Each case records what it observed when it ended: a fault case "
        "whether the run survived it, a secret scan the leaks it found, a hostile file whether "
        "it was refused, an attack whether its test passed. A record counts as held only when "
        "every check of its case held; a case that failed before recording anything is listed "
        "under Outcome.",
        "",
        "## Outcome", "", *_outcome(kinds["case"], kinds["session"], observed), "",
        "## Faults injected", "", *_faults(kinds["fault"], cases), "",
        "## Crash points", "", *_crashes(kinds["crash"], cases), "",
        "## Hostile files", "", *_files(kinds["file"], cases), "",
        "## Secrets", "", *_secrets(kinds["secret_scan"], cases), "",
        "## Attacks", "", *_attacks(attacks), "",
        "## Exposure", "", *_table(kinds["exposure"], "exposure", ("check", "result"), cases), "",
        "## Fuzzing", "", *_fuzz(kinds["fuzz"], cases), "",
        "## Concurrency", "",
        *_table(kinds["concurrency"], "concurrency",
                ("scenario", "writes", "reads", "lost", "locked_errors"), cases),
        "",
    ]  # fmt: skip
    return "\n".join(parts)


def write_report(log: Path = LOG, out: Path = OUT) -> Path:
    out.write_text(render(read_log(log)), encoding="utf-8")
    return out


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    written = write_report(*args)
    sys.stdout.write(f"wrote {written}\n")

"""Hostile specs and names: unknown names, wrong types, budget 0, YAML bombs, data paths that
leave the project folder, run and project names that try to leave theirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_log import observe

from engine.core._errors import SpecError, TunesmithError
from engine.runs.spec._spec import spec_from_text

BASE = """\
name: t
pipeline:
  - name: classify
    fields:
      - {name: ticket, role: input}
      - {name: category, role: output}
data: {csv: data.csv}
"""
BAD_SPECS = [
    ("unknown-top-key", BASE + "colour: blue\n", "colour: unknown key"),
    ("unknown-optimizer", BASE + "optimizer: {name: magic}\n", "unknown optimizer 'magic'"),
    ("unknown-metric", BASE + "metric: {kind: vibes}\n", "unknown metric 'vibes'"),
    ("unknown-module", BASE.replace("- name: classify", "- name: classify\n    module: Magic"),
     "module"),
    ("unknown-field-type", BASE.replace("role: input}", "role: input, type: tensor}"), "type"),
    ("unknown-role", BASE.replace("role: input}", "role: both}"), "role"),
    ("budget-zero", BASE + "optimizer: {budget: {max_calls: 0}}\n", "greater than 0"),
    ("budget-negative", BASE + "optimizer: {budget: {max_minutes: -5}}\n", "greater than 0"),
    ("budget-text", BASE + "optimizer: {budget: {max_calls: lots}}\n", "max_calls"),
    ("size-negative", BASE.replace("{csv: data.csv}", "{csv: data.csv, train_size: -1}"),
     "must be 0 or more"),
    ("pipeline-not-list", "name: t\npipeline: classify\ndata: {csv: d.csv}\n", "pipeline"),
    ("fields-not-list", BASE.replace("    fields:\n", "    fields: 3\n    x:\n"), "fields"),
    ("name-not-text", BASE.replace("name: t\n", "name: [1, 2]\n"), "name"),
    ("not-a-mapping", "- just\n- a list\n", "must be a mapping"),
    ("scalar", "42\n", "must be a mapping"),
    ("bad-yaml", "name: [unclosed\n", "not valid YAML"),
    ("python-tag", "!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ("field-name-dunder", BASE.replace("name: ticket", "name: __class__"), "field name"),
    ("step-name-path", BASE.replace("name: classify", "name: ../../etc"), "step name"),
]  # fmt: skip
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(("name", "text", "phrase"), BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_spec_is_rejected_with_a_clear_message(name: str, text: str, phrase: str) -> None:
    with observe("file", name=f"spec-{name}", path="spec", refused=False) as seen:
        with pytest.raises(SpecError) as info:
            spec_from_text(text)
        seen.note(refused=True)
        assert phrase in str(info.value)


@pytest.mark.parametrize(
    "text",
    [BOMB, "a: &a [*a]\n", "[" * 5000 + "]" * 5000],
    ids=["billion-laughs", "recursive-alias", "deep-nesting"],
)
@pytest.mark.timeout(10, func_only=True)  # a hang guard: an expanded bomb would not finish
def test_yaml_bombs_are_refused_quickly(text: str, tmp_path: Path) -> None:
    from engine.runs.spec._spec import load_spec

    (tmp_path / "bomb.yaml").write_text(text, encoding="utf-8")
    with observe("file", name=f"yaml-{text[:6]!r}", path="spec", refused=False) as seen:
        with pytest.raises(SpecError) as info:
            load_spec(tmp_path / "bomb.yaml")
        seen.note(refused=True)
        assert "Traceback" not in str(info.value)


def test_anchors_within_reason_still_work() -> None:
    text = BASE.replace("data: {csv: data.csv}", "data: &d {csv: data.csv}\n") + "x_: 1\n"
    with pytest.raises(SpecError, match="x_: unknown key"):  # parsed; rejected for the key only
        spec_from_text(text)


def _project(tmp_path: Path, csv_path: str) -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / "spec.yaml").write_text(BASE.replace("data.csv", csv_path), encoding="utf-8")
    return folder / "spec.yaml"


@pytest.mark.parametrize("where", ["../outside.csv", "ABS", "link.csv"])
def test_data_outside_the_project_is_refused_unless_allowed_on_the_cli(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main
    from engine.runs.data._load import OUTSIDE_ENV

    monkeypatch.setenv(OUTSIDE_ENV, "0")
    outside = tmp_path / "outside.csv"
    outside.write_text("ticket,category\na,b\nc,d\ne,f\n", encoding="utf-8")
    spec = _project(tmp_path, str(outside) if where == "ABS" else where)
    if where == "link.csv":
        (spec.parent / "link.csv").symlink_to(outside)
    with observe("file", name=f"data-path-{where}", path="spec") as seen:
        code = main(["validate", str(spec)])
        seen.note(refused=code == 2)
        err = capsys.readouterr().err
        assert code == 2 and "outside the project folder" in err and "--allow-outside-data" in err
        assert main(["validate", str(spec), "--allow-outside-data"]) == 0


def test_project_names_stay_in_the_projects_folder(home: Path) -> None:
    from dashboard.home import projects_dir, slugify

    for name in ["../../etc", "/etc/passwd", "..", "a/../../b", "C:\\Windows", "~root", "\x00x"]:
        with observe("file", name=f"project-name-{name!r}", path="names", refused=False):
            slug = slugify(name)
            assert (projects_dir() / slug).resolve().parent == projects_dir().resolve(), name


def test_a_project_file_cannot_point_its_data_outside(home: Path, tmp_path: Path) -> None:
    from dashboard.home import projects_dir
    from dashboard.project.projects import open_project

    secret = tmp_path / "secret.csv"
    secret.write_text("ticket,category\nsecret,s\n", encoding="utf-8")
    for i, path in enumerate(["../../../secret.csv", str(secret)]):
        folder = projects_dir() / f"evil-{i}"
        folder.mkdir(parents=True)
        (folder / "project.yaml").write_text(BASE.replace("data.csv", path), encoding="utf-8")
        with observe("file", name=f"project-data-{i}", path="names", refused=False) as seen:
            with pytest.raises(SpecError, match="outside the project folder"):
                open_project(folder)
            seen.note(refused=True)


@pytest.mark.parametrize("run_id", ["../../evil", "/tmp/evil", "..", "a/b", "", "x" * 200])
def test_run_ids_cannot_leave_the_logs_folder(run_id: str, tmp_path: Path) -> None:
    from engine.runs.process._launch import launch_run

    with observe("file", name=f"run-id-{run_id[:12]}", path="names", refused=False) as seen:
        with pytest.raises(TunesmithError, match="is not a run id"):
            launch_run(run_id, tmp_path / "store" / "runs.db", inline=False)
        seen.note(refused=True)
        assert not list(tmp_path.rglob("*.log"))


def test_project_list_escapes_html_from_project_files(app, home: Path) -> None:
    from apphelpers import shown

    from dashboard.home import projects_dir

    folder = projects_dir() / "xss"
    folder.mkdir(parents=True)
    payload = "<img src=x onerror=alert(1)>"
    (folder / "project.yaml").write_text(BASE + f"description: '{payload}'\n", encoding="utf-8")
    with observe("file", name="project-description-html", path="names", refused=False):
        app.run()  # the project is listed, its description shown as text
        markdown = " ".join(m.value for m in app.markdown)
        assert payload not in markdown  # never the tag itself, as HTML or Markdown reads it
        assert payload in shown(markdown)  # but the text, as the page reads it


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_before_anything_recursive_reads_it(text: str) -> None:
    """The dashboard reads uploaded specs in a script thread: deep nesting must be refused by
    the token scan, not left to the recursive composer's RecursionError."""
    import threading

    from engine.runs.spec._yaml import MAX_DEPTH, load_yaml

    caught: list[BaseException] = []

    def read() -> None:
        try:
            load_yaml(text)
        except BaseException as exc:  # noqa: BLE001  (what the thread saw, checked below)
            caught.append(exc)

    old = threading.stack_size(256 * 1024)
    try:
        thread = threading.Thread(target=read)
        thread.start()
        thread.join(timeout=30)
    finally:
        threading.stack_size(old)
    refused = len(caught) == 1 and isinstance(caught[0], SpecError)
    with observe("file", name=f"yaml-deep-{text[:1]!r}", path="spec", refused=refused):
        assert refused, caught
        assert f"more than {MAX_DEPTH} levels deep" in str(caught[0])

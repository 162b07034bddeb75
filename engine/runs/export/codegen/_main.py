"""The exported script's ways in: one input typed as arguments, a CSV in and a CSV out, and a
usage that names the inputs (its docstring's "how to use" and its `main`).

The script stays importable without running anything: `main()` runs only under
`if __name__ == "__main__"`. It reads CSVs with the engine's shared reader (its limits and
messages) and neutralises every written cell as the engine's own CSVs do (`safe_cell`); those
helpers are imported under `__main__` only, so that with `import dspy` in place of the engine
the module still imports with DSPy alone (running it from a terminal needs Tunesmith).
"""

from __future__ import annotations

from engine.runs.export.codegen._names import py_literal, py_type
from engine.runs.spec import FieldSpec, ProjectSpec

# the script's own options; a field of that name is given by position only
_OPTIONS = frozenset({"csv", "help"})

IMPORTS = [
    "import argparse",
    "import csv",
    "import io",
    "import sys",
    "from pathlib import Path",
]


def _input_specs(spec: ProjectSpec) -> dict[str, FieldSpec]:
    """Each input field of the program (in order) and its FieldSpec."""
    found = {}
    for step in spec.pipeline:
        for f in step.inputs:
            found.setdefault(f.name, f)
    return {name: found[name] for name in spec.input_fields}


def how_to_use(spec: ProjectSpec, outputs: list[str]) -> str:
    """The docstring's plain-words part: the three ways to run the script."""
    inputs = spec.input_fields
    typed = " ".join(f'"<{name}>"' for name in inputs)
    named = " ".join(f'--{name} "<{name}>"' for name in inputs if name not in _OPTIONS)
    columns = ", ".join(inputs)
    answers = ", ".join(outputs)
    lines = [
        "How to use it (program.py stands for this file's name; Tunesmith's engine must be",
        "installed, as the import below says):",
        "",
        f"  python program.py {typed}",
        f"      answers one input and prints {answers}.",
    ]
    if named:
        lines += [f"  python program.py {named}", "      the same, naming each input."]
    lines += [
        "  python program.py --csv in.csv -o out.csv",
        f"      answers every row of a spreadsheet saved as CSV, with a column for {columns};",
        f"      out.csv gets each row with {answers} added. A row that fails is kept, with the",
        '      reason in an "error" column. Without -o the rows are printed.',
        "  python program.py",
        "      shows this help.",
        "",
        "From Python: prediction = program(" + ", ".join(f"{name}=..." for name in inputs) + ")",
    ]
    return "\n".join(lines)


def main_lines(spec: ProjectSpec, outputs: list[str]) -> list[str]:
    """The script's command-line part (see the module docstring)."""
    fields = _input_specs(spec)
    inputs = "{" + ", ".join(f"{name!r}: {py_type(f)}" for name, f in fields.items()) + "}"
    options = [  # argparse reads % in a help text as a format
        f'    parser.add_argument("--{name}", help={(f.description or name).replace("%", "%%")!r})'
        for name, f in fields.items()
        if name not in _OPTIONS
    ]
    order = ", ".join(spec.input_fields)
    return [
        "# ---- run from a terminal: see the top of this file and the end of it ----",
        f"INPUTS = {inputs}  # the program's inputs, in order, with their types",
        f"OUTPUTS = {py_literal(outputs)}  # what it answers",
        "",
        "",
        "def answer(values):",
        '    """The outputs for one input: {input name: text} -> {output name: value}."""',
        '    empty = [name for name in INPUTS if not str(values.get(name, "")).strip()]',
        "    if empty:",
        """        raise ValueError(f"no text for {', '.join(empty)}")""",
        "    prediction = program(**{name: cast_cell(values[name], kind) "
        "for name, kind in INPUTS.items()})",
        "    return {name: prediction[name] for name in OUTPUTS}",
        "",
        "",
        "def answer_csv(source, target=None):",
        '    """Answer every row of the CSV file `source`; write the rows with the outputs and an',
        "    error column added to the file `target` (else print them), every cell safe to open",
        '    in a spreadsheet. Returns (rows, rows with an error)."""',
        "    header, body = read_table(Path(source), source)",
        "    missing = [name for name in INPUTS if name not in header]",
        "    if missing:",
        "        raise CsvProblem(",
        "            f\"{source} has no column {', '.join(missing)}; \"",
        "            f\"its columns: {', '.join(header)}\"",
        "        )",
        "    added, taken = {}, set(header)  # a column name the file has already gets _predicted",
        '    for name in [*OUTPUTS, "error"]:',
        "        column = name",
        "        while column in taken:",
        '            column += "_predicted"',
        "        added[name] = column",
        "        taken.add(column)",
        "    text, failed = io.StringIO(), 0",
        '    writer = csv.writer(text, lineterminator="\\n")',
        "    writer.writerow([safe_cell(cell) for cell in [*header, *added.values()]])",
        "    for cells in body:",
        "        try:",
        "            out = answer(dict(zip(header, cells)))",
        "        except Exception as exc:  # a bad row is kept with its error; the rest go on",
        '            out, failed = {"error": f"{type(exc).__name__}: {exc}"}, failed + 1',
        '        new = ["" if out.get(name) is None else str(out[name]) for name in added]',
        "        writer.writerow([safe_cell(cell) for cell in [*cells, *new]])",
        "    if target:",
        '        Path(target).write_text(text.getvalue(), encoding="utf-8")',
        "    else:",
        "        sys.stdout.write(text.getvalue())",
        "    return len(body), failed",
        "",
        "",
        "def main():",
        "    parser = argparse.ArgumentParser(",
        "        description=__doc__,",
        "        formatter_class=argparse.RawDescriptionHelpFormatter,",
        "        allow_abbrev=False,",
        "    )",
        "    parser.add_argument(",
        f'        "_values", nargs="*", metavar="INPUT", help="the inputs, in this order: {order}"',
        "    )",
        *options,
        '    parser.add_argument("--csv", dest="_csv", metavar="IN.CSV", help="answer every row")',
        '    parser.add_argument("-o", dest="_out", metavar="OUT.CSV", help="with --csv: the file'
        ' to write")',
        "    args = parser.parse_args()",
        "    if args._csv:",
        "        try:",
        "            rows, failed = answer_csv(args._csv, args._out)",
        "        except (CsvProblem, OSError) as exc:",
        '            parser.exit(2, f"error: {exc}\\n")',
        '        where = f" into {args._out}" if args._out else ""',
        '        print(f"answered {rows - failed} of {rows} row(s){where}", file=sys.stderr)',
        "        if failed:",
        '            parser.exit(1, f"{failed} row(s) failed: see their error column\\n")',
        "        return",
        "    given = {name: getattr(args, name, None) for name in INPUTS}",
        "    given = {name: value for name, value in given.items() if value is not None}",
        "    rest = [name for name in INPUTS if name not in given]",
        "    if not args._values and not given:",
        "        parser.print_help()",
        "        return",
        "    if len(args._values) != len(rest) or args._out:",
        '        parser.error(f"give {len(rest)} input(s): '
        """{', '.join(rest)}; or --csv IN.CSV")""",
        "    try:",
        "        out = answer({**given, **dict(zip(rest, args._values))})",
        "    except Exception as exc:",
        '        parser.exit(1, f"error: {type(exc).__name__}: {exc}\\n")',
        "    for name, value in out.items():",
        '        print(f"{name}: {value}")',
        "",
        "",
        'if __name__ == "__main__":',
        "    # Tunesmith's CSV reader and spreadsheet-safe cells, for the lines above only: the",
        "    # program itself needs no more than `dspy` (see the import at the top)",
        "    from engine.runs.data import CsvProblem, cast_cell, read_table, safe_cell",
        "",
        "    main()",
    ]

"""No internal error on user input (issue 10, hole 5): encodings, over-long names, non-string names, inputs.

Before the fix, any non-UTF-8 file ended `check` with `internal error: AttributeError: 'UnicodeDecodeError'
object has no attribute 'strerror'` (exit 2), and a 100,000-character stage id with `OSError: File name too
long` at run time. Each is now a diagnostic at its place, exit status 1.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from limited_process import assert_within_limits, run_cli

from fasthep_flow.compiler import CompileOptions, compile_file, compile_text
from fasthep_flow.document import codes

GOOD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100, seed: 1}
analysis:
  stages:
    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}
"""

LATIN1 = GOOD.replace("version: 1.0\n", "version: 1.0\n# Résumé of the cuts\n").encode("latin-1")
BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("name", "data", "where", "words"),
    [
        ("latin1", LATIN1, (2, 4), "byte 0xE9 (line 2, column 4)"),
        ("utf16", codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"), (1, 1), "UTF-16 text"),
        ("utf16-be", codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"), (1, 1), "UTF-16 text"),
        ("binary", BINARY, (2, 118), "this looks like a binary file"),  # 0x80, after the 0x0A
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_non_utf8_file_is_a_diagnostic_at_the_first_bad_byte(
    tmp_path: Path, name: str, data: bytes, where: tuple[int, int], words: str, command: str
) -> None:
    wf = tmp_path / f"{name}.yaml"
    wf.write_bytes(data)
    args = (
        ["check", "--format", "json", wf.name] if command == "check" else ["run", wf.name, "--outdir", "out"]
    )
    done = run_cli(args, tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    if command == "check":
        (found,) = json.loads(done.stdout)
        assert found["code"] == "FF009"
        assert (found["location"]["row"], found["location"]["column"]) == where
        assert words in found["message"] + (found["hint"] or "")
    else:
        assert f"{wf.name}:{where[0]}:{where[1]}: error[FF009]" in done.stderr


def test_utf8_with_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    wf = tmp_path / "bom.yaml"
    wf.write_bytes(codecs.BOM_UTF8 + GOOD.encode("utf-8"))
    assert compile_file(wf, CompileOptions(check_inputs=False)).ok


def test_non_utf8_included_file_is_reported_in_that_file_and_on_the_include(tmp_path: Path) -> None:
    (tmp_path / "styles.yaml").write_bytes(b"styles:\n  s: {op: hep.render.hist1d}  # caf\xe9\n")
    wf = tmp_path / "wf.yaml"
    wf.write_text("include: [styles.yaml]\n" + GOOD, encoding="utf-8")
    result = compile_file(wf, CompileOptions(check_inputs=False))
    found = {
        (d.code, Path(d.span.file).name, d.span.start.line + 1, d.span.start.col + 1)
        for d in result.diagnostics
    }
    assert found == {(codes.NOT_UTF8, "styles.yaml", 2, 36), (codes.INCLUDE_ERROR, "wf.yaml", 1, 11)}


def test_an_include_that_is_a_fifo_is_refused_at_the_include(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "more.yaml")
    (tmp_path / "wf.yaml").write_text("include: [more.yaml]\n" + GOOD, encoding="utf-8")
    done = run_cli(["check", "--format", "json", "wf.yaml"], tmp_path)
    assert_within_limits(done)
    (found,) = json.loads(done.stdout)
    assert (found["code"], found["location"]["row"], found["location"]["column"]) == ("FF003", 1, 11)
    assert "is a named pipe (FIFO), not a regular file" in found["message"]


def test_non_utf8_profile_file_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "prof.yaml").write_bytes(b"doc: r\xe9sum\xe9\n")
    wf = tmp_path / "wf.yaml"
    wf.write_text(
        GOOD.replace("version: 1.0\n", "version: 1.0\nuse: {profiles: [./prof.yaml]}\n"), encoding="utf-8"
    )
    result = compile_file(wf, CompileOptions(check_inputs=False))
    (found,) = [d for d in result.diagnostics if d.code is codes.UNKNOWN_PROFILE]
    assert "cannot be read" in found.message and "not UTF-8" in (found.hint or "")


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_100k_character_stage_id_is_a_diagnostic(tmp_path: Path, command: str) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text(
        GOOD.replace(
            '    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}\n',
            f"    - id: {'S' * 100_000}\n      op: hep.selection.cutflow\n"
            '      params: {selection: {two: ["NMuon >= 2"]}}\n'
            "      render: {style: table, when: final}\n",
        )
        + "styles:\n  table: {op: hep.render.cutflow_csv}\n",
        encoding="utf-8",
    )
    args = (
        ["check", "--format", "json", wf.name] if command == "check" else ["run", wf.name, "--outdir", "out"]
    )
    done = run_cli(args, tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1
    assert "File name too long" not in done.stderr and "Traceback" not in done.stderr
    if command == "check":
        found = [(d["code"], d["location"]["row"], d["location"]["column"]) for d in json.loads(done.stdout)]
        assert found == [("FF124", 6, 11)]
    else:
        assert "wf.yaml:6:11: error[FF124]" in done.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("stage_id", "words"),
    [("../../escape", "contains '/'"), ("tab\tbed", "contains '\\t'"), ("x" * 201, "201 characters long")],
)
def test_stage_ids_that_cannot_be_file_names_are_refused(stage_id: str, words: str) -> None:
    text = GOOD.replace("{id: S,", f"{{id: {json.dumps(stage_id)},")
    result = compile_text(text, "wf.yaml", CompileOptions(check_inputs=False))
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [(codes.BAD_NAME, 5)]
    assert words in result.diagnostics[0].message


@pytest.mark.parametrize(
    ("key", "kind"), [("1.5", "float"), ("3", "int"), ("true", "bool"), ("null", "null")]
)
def test_a_non_string_key_in_globals_is_an_error(key: str, kind: str) -> None:
    text = GOOD.replace("analysis:\n", f"analysis:\n  globals: {{iso_cut: 0.1, {key}: 3}}\n")
    result = compile_text(text, "wf.yaml", CompileOptions(check_inputs=False))
    (found,) = result.diagnostics
    assert (found.code, found.span.start.line + 1, found.span.start.col + 1) == (codes.BAD_NAME, 5, 27)
    assert found.is_error and kind in found.message
    assert result.plan is None


def test_a_non_string_source_or_style_name_is_an_error() -> None:
    text = (
        GOOD.replace("sources:\n", "sources:\n  1.5: {kind: toy}\n")
        + "styles:\n  2: {op: hep.render.hist1d}\n"
    )
    result = compile_text(text, "wf.yaml", CompileOptions(check_inputs=False))
    assert [(d.code, d.span.start.line + 1) for d in result.diagnostics] == [
        (codes.BAD_NAME, 3),
        (codes.BAD_NAME, 9),
    ]


def test_a_missing_input_at_run_time_points_at_its_files_entry(tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text(
        "version: 1.0\n"
        "sources:\n  events: {kind: root_tree, tree: events, branches: [NMuon]}\n"
        "data:\n  datasets:\n    - name: d\n      files:\n        - nothere.root\n"
        'analysis:\n  stages:\n    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}\n',
        encoding="utf-8",
    )
    done = run_cli(["run", "wf.yaml", "--outdir", "out"], tmp_path, cpu_seconds=30, memory_mb=2000)
    assert done.returncode == 1
    assert "wf.yaml:8:9: error[FF404]" in done.stderr, done.stderr  # the line of the `files:` item
    assert "wf.yaml:1:1:" not in done.stderr


def test_a_non_string_key_inside_params_is_an_error() -> None:
    text = GOOD.replace(
        '    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}\n',
        '    - {id: C, op: hep.selection.cutflow, params: {selection: {3.5: ["NMuon > 1"]}}}\n',
    )
    result = compile_text(text, "wf.yaml", CompileOptions(check_inputs=False))
    assert [(d.code, d.span.start.line + 1, d.span.start.col + 1) for d in result.diagnostics] == [
        (codes.BAD_NAME, 6, 63)
    ]

"""`fasthep-flow check`: exit codes, the text format, machine formats that agree, and `--fix`.

Most tests call ``main([...])`` in-process (its return value is the exit status the console script passes to
``sys.exit``); one parametrised test runs the installed console script itself for the real exit codes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fasthep_flow.cli.main import main
from fasthep_flow.compiler import CompileOptions, compile_file, compile_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"
DIAG_DIR = REPO / "tests" / "fixtures" / "diagnostics"
SCRIPT = Path(sys.executable).with_name("fasthep-flow")

Key = tuple[str, int, int, str]  # (resolved file, 1-based line, 1-based col, code)

HEADER = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info|hint)\[(?P<code>FF\d{3})\]: (?P<msg>.+)$"
)
GITHUB = re.compile(
    r"^::(?P<level>error|warning|notice) title=(?P<code>FF\d{3}) [\w-]+,file=(?P<file>[^,]+),line=(?P<line>\d+),"
    r"col=(?P<col>\d+),endLine=(?P<eline>\d+),endColumn=(?P<ecol>\d+)::(?P<msg>.*)$"
)


def copy_case(name: str, dest: Path) -> Path:
    """A fixture (and the `_includes/` it may use) copied where the test may change it."""
    shutil.copy(DIAG_DIR / name, dest / name)
    if not (dest / "_includes").exists():
        shutil.copytree(DIAG_DIR / "_includes", dest / "_includes")
    return dest / name


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        rc = int(exc.code or 0)
    out, err = capsys.readouterr()
    return rc, out, err


def expected_keys(paths: list[Path]) -> set[Key]:
    keys = set()
    for path in paths:
        for d in compile_file(path, CompileOptions()).diagnostics:
            keys.add(
                (str(Path(d.span.file).resolve()), d.span.start.line + 1, d.span.start.col + 1, d.code.id)
            )
    return keys


# --- exit codes -----------------------------------------------------------------------------------------------

EXIT_CASES = {
    "clean": ([str(EXAMPLE)], 0),
    "errors": ([str(DIAG_DIR / "FF101-unknown-op.yaml")], 1),
    "warnings-only": ([str(DIAG_DIR / "FF112-untrusted-registry-layer.yaml")], 0),
    "clean-and-errors": ([str(EXAMPLE), str(DIAG_DIR / "FF201-double-quoted.yaml")], 1),
    "missing-file": (["no/such/workflow.flow.yaml"], 1),
    "no-files": ([], 2),
    "bad-format": (["--format", "xml", str(EXAMPLE)], 2),
    "unknown-option": (["--frobnicate", str(EXAMPLE)], 2),
}


@pytest.mark.parametrize(("argv", "status"), EXIT_CASES.values(), ids=EXIT_CASES.keys())
def test_exit_status_of_the_console_script(tmp_path: Path, argv: list[str], status: int) -> None:
    proc = subprocess.run(
        [str(SCRIPT), "check", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_is_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["check", "--format", "json", str(tmp_path / "absent.yaml")], capsys)
    assert rc == 1
    (diag,) = json.loads(out)
    assert diag["code"] == "FF003"
    assert "absent.yaml" in diag["message"]


# --- the text format ------------------------------------------------------------------------------------------

TEXT_CASES = [
    "FF303-unknown-field.yaml",
    "FF201-literal-block.yaml",
    "FF201-single-quoted-escape.yaml",
    "FF002-duplicate-key-in-include.yaml",
    "FF112-untrusted-registry-layer.yaml",
    "FF302-dependency-cycle.yaml",
]


@pytest.mark.parametrize("name", TEXT_CASES)
def test_text_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`path:line:col: severity[CODE]: message`, the source line, a caret under the span, then the hint."""
    path = copy_case(name, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = compile_file(path, CompileOptions())
    rc, out, _ = run(["check", "--color", "never", name], capsys)
    assert rc == (1 if not result.ok else 0)
    lines = out.splitlines()
    headers = [(i, m) for i, line in enumerate(lines) if (m := HEADER.match(line))]
    assert len(headers) == len(result.diagnostics)
    by_key = {
        (Path(d.span.file).resolve(), d.span.start.line + 1, d.span.start.col + 1, d.code.id): d
        for d in result.diagnostics
    }
    for i, m in headers:
        key = ((tmp_path / m["path"]).resolve(), int(m["line"]), int(m["col"]), m["code"])
        d = by_key.pop(key)
        assert not Path(m["path"]).is_absolute()  # shown relative to the current folder
        assert m["sev"] == d.severity.label
        assert m["msg"] == d.message
        source = Path(d.span.file).read_text(encoding="utf-8").splitlines()[d.span.start.line]
        gutter = f"{d.span.start.line + 1:>5} | "
        assert lines[i + 1] == gutter + source
        caret = lines[i + 2]
        assert caret.startswith(" " * (len(gutter) - 2) + "| ")
        marks = caret[len(gutter) :]
        assert marks.index("^") == d.span.start.col
        width = d.span.end.col - d.span.start.col if d.span.end.line == d.span.start.line else None
        if width:
            assert marks.count("^") == width
        rest = lines[i + 3 : next((j for j, _ in headers if j > i), len(lines))]
        if d.hint:
            assert f"      = hint: {d.hint}" in rest
    assert by_key == {}
    errors = sum(d.is_error for d in result.diagnostics)
    warnings = len(result.diagnostics) - errors
    fixable = sum(d.fix is not None and d.fix.safe and d.span.file == str(path) for d in result.diagnostics)
    if fixable:
        assert lines.pop() == f"{fixable} fixable with --fix."
    assert (
        lines[-1]
        == f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} warning"
        + ("s" if warnings != 1 else "")
        + " in 1 file."
    )


def test_clean_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["check", "--color", "never", str(EXAMPLE)], capsys)
    assert rc == 0
    assert out.strip() == "All checks passed (1 file)."


def test_color_always_paints_and_never_does_not(capsys: pytest.CaptureFixture[str]) -> None:
    target = str(DIAG_DIR / "FF303-unknown-field.yaml")
    _, painted, _ = run(["check", "--color", "always", target], capsys)
    _, plain, _ = run(["check", "--color", "never", target], capsys)
    assert "\x1b[" in painted
    assert "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", painted) == plain


# --- machine formats agree ----------------------------------------------------------------------------------

FORMAT_CASES = [
    ["FF002-duplicate-key-in-include.yaml", "FF201-deep-in-long-expression.yaml"],
    ["FF112-untrusted-registry-layer.yaml", "FF303-unknown-field-single-quoted.yaml"],
    ["FF302-dependency-cycle.yaml", "FF004-include-cycle.yaml", "FF201-folded-block.yaml"],
]


def _json_keys(out: str, cwd: Path) -> tuple[set[Key], set[tuple[Key, int, int]]]:
    data = json.loads(out)
    starts = {
        (str((cwd / d["filename"]).resolve()), d["location"]["row"], d["location"]["column"], d["code"])
        for d in data
    }
    ends = {
        (
            (str((cwd / d["filename"]).resolve()), d["location"]["row"], d["location"]["column"], d["code"]),
            d["end_location"]["row"],
            d["end_location"]["column"],
        )
        for d in data
    }
    return starts, ends


def _github_keys(out: str, cwd: Path) -> tuple[set[Key], set[tuple[Key, int, int]]]:
    starts, ends = set(), set()
    for line in out.splitlines():
        m = GITHUB.match(line)
        assert m is not None, line
        key = (str((cwd / m["file"]).resolve()), int(m["line"]), int(m["col"]), m["code"])
        starts.add(key)
        ends.add((key, int(m["eline"]), int(m["ecol"])))
    return starts, ends


def _sarif_keys(out: str, cwd: Path) -> tuple[set[Key], set[tuple[Key, int, int]]]:
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    (run_,) = doc["runs"]
    rule_ids = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    starts, ends = set(), set()
    for r in run_["results"]:
        assert r["ruleId"] in rule_ids
        loc = r["locations"][0]["physicalLocation"]
        region = loc["region"]
        key = (
            str((cwd / loc["artifactLocation"]["uri"]).resolve()),
            region["startLine"],
            region["startColumn"],
            r["ruleId"],
        )
        starts.add(key)
        ends.add((key, region["endLine"], region["endColumn"]))
    return starts, ends


def _text_keys(out: str, cwd: Path) -> set[Key]:
    return {
        (str((cwd / m["path"]).resolve()), int(m["line"]), int(m["col"]), m["code"])
        for line in out.splitlines()
        if (m := HEADER.match(line))
    }


@pytest.mark.parametrize("names", FORMAT_CASES, ids=lambda names: "+".join(n.split("-", 1)[0] for n in names))
def test_formats_agree_on_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], names: list[str]
) -> None:
    paths = [copy_case(n, tmp_path) for n in names]
    monkeypatch.chdir(tmp_path)
    want = expected_keys(paths)
    assert want, "the cases must report something"
    outputs = {
        fmt: run(["check", "--format", fmt, "--color", "never", *names], capsys)
        for fmt in ("text", "json", "github", "sarif")
    }
    assert len({rc for rc, _, _ in outputs.values()}) == 1
    json_starts, json_ends = _json_keys(outputs["json"][1], tmp_path)
    gh_starts, gh_ends = _github_keys(outputs["github"][1], tmp_path)
    sarif_starts, sarif_ends = _sarif_keys(outputs["sarif"][1], tmp_path)
    assert json_starts == gh_starts == sarif_starts == _text_keys(outputs["text"][1], tmp_path) == want
    assert json_ends == gh_ends == sarif_ends


def test_json_carries_fix_and_hint(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["check", "--format", "json", str(DIAG_DIR / "FF101-unknown-op.yaml")], capsys)
    assert rc == 1
    (diag,) = json.loads(out)
    assert diag["code"] == "FF101"
    assert diag["hint"] == "did you mean 'hep.hist'?"
    assert diag["url"].endswith("#ff101")
    assert diag["fix"]["applicability"] == "safe"
    assert [e["content"] for e in diag["fix"]["edits"]] == ["hep.hist"]


# --- --fix ----------------------------------------------------------------------------------------------------

GOLDENS = sorted(DIAG_DIR.glob("*.fixed.yaml"))


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.name.removesuffix(".fixed.yaml"))
def test_fix_applies_the_safe_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str], golden: Path) -> None:
    name = golden.name.removesuffix(".fixed.yaml") + ".yaml"
    # The same depth below a `data/` folder as in the repository: fixtures name tests/data/ files relatively.
    cases = tmp_path / "fixtures" / "diagnostics"
    cases.mkdir(parents=True)
    (tmp_path / "data").symlink_to(REPO / "tests" / "data", target_is_directory=True)
    path = copy_case(name, cases)
    rc, out, _ = run(["check", "--fix", "--format", "json", str(path)], capsys)
    assert path.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")
    remaining = compile_text(golden.read_text(encoding="utf-8"), str(path), CompileOptions())
    assert rc == (0 if remaining.ok else 1)
    assert {d["code"] for d in json.loads(out)} == {d.code.id for d in remaining.diagnostics}


def test_fix_says_what_it_changed_and_check_counts_what_it_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` counts the fixable problems; `--fix` prints one `file:line: title` per applied fix, including
    the "add missing params" fix (made by the compiler, the same one the editor offers), which adds every
    missing param of the stage at once."""
    for name in ("FF101-unknown-op.yaml", "FF105-define-without-variables.yaml"):
        copy_case(name, tmp_path)
    (tmp_path / "two.yaml").write_text(
        "version: 1.0\nsources:\n  events: {kind: toy, nevents: 10}\nanalysis:\n  stages:\n"
        "    - {id: Mass, op: hep.di_object_mass, params: {}}\n"
        "    - id: Sel\n      op: hep.select_objects\n      params:\n        keep: [Px]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    files = ["FF101-unknown-op.yaml", "FF105-define-without-variables.yaml", "two.yaml"]
    rc, out, _ = run(["check", "--color", "never", *files], capsys)
    assert rc == 1
    before = {f: (tmp_path / f).read_text(encoding="utf-8") for f in files}
    assert out.splitlines()[-1] == "3 fixable with --fix."

    rc, out, _ = run(["check", "--fix", "--color", "never", *files], capsys)
    fixed = [line for line in out.splitlines() if line.startswith("fixed ")]
    assert fixed == [
        "fixed FF101-unknown-op.yaml:9: Replace with 'hep.hist'",
        "fixed FF105-define-without-variables.yaml:10: Add missing required params of hep.define: variables",
        "fixed two.yaml:10: Add missing required params of hep.select_objects: collection, output",
    ]
    after = (tmp_path / "two.yaml").read_text(encoding="utf-8")
    assert after.count("collection:") == 1 and after.count("output:") == 1
    assert all((tmp_path / f).read_text(encoding="utf-8") != before[f] for f in files)
    assert "fixable with --fix" not in out


def test_fix_leaves_a_file_without_safe_fixes_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_case("FF201-double-quoted.yaml", tmp_path)
    before = path.read_text(encoding="utf-8")
    rc, _, _ = run(["check", "--fix", str(path)], capsys)
    assert rc == 1
    assert path.read_text(encoding="utf-8") == before


def test_fix_does_not_edit_included_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The unknown op sits in an included file: `--fix` of the including workflow rewrites only that file."""
    path = copy_case("FF005-include-unknown-op.yaml", tmp_path)
    included = tmp_path / "_includes" / "stages_unknown_op.yaml"
    before = path.read_text(encoding="utf-8"), included.read_text(encoding="utf-8")
    run(["check", "--fix", str(path)], capsys)
    assert (path.read_text(encoding="utf-8"), included.read_text(encoding="utf-8")) == before

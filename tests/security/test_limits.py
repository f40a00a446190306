"""Denial of service (issue 10, hole 3): each input is refused with a diagnostic, in bounded CPU and memory.

Every case runs the real command in a child process limited to 500 MB of address space and 5 s of CPU
(``limited_process``); before the fix each of them hung or grew to gigabytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from limited_process import assert_within_limits, run_cli

from fasthep_flow.document import codes
from fasthep_flow.document.loader import MAX_ALIAS_NODES, parse_yaml
from fasthep_flow.expressions import parse
from fasthep_flow.expressions.evaluator import EvalError, compile_expr

HEAD = "version: 1.0\nsources:\n  events: {kind: toy, nevents: 100, seed: 1}\n"
STAGE = '  stages:\n    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}\n'


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The issue's input: nine levels of nine aliases under `analysis.globals` (9**9 = 387 million values)."""
    lines = [HEAD + "analysis:\n  globals:", "    l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    lines += [f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + STAGE


def diagnostics(stdout: str) -> list[tuple[str, int, int]]:
    return [(d["code"], d["location"]["row"], d["location"]["column"]) for d in json.loads(stdout)]


@pytest.mark.parametrize("command", ["check", "run"])
def test_alias_bomb_is_refused_at_the_alias(tmp_path: Path, command: str) -> None:
    wf = tmp_path / "bomb.yaml"
    wf.write_text(alias_bomb(), encoding="utf-8")
    args = (
        ["check", "--format", "json", str(wf)] if command == "check" else ["run", str(wf), "--outdir", "out"]
    )
    done = run_cli(args, tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1
    if command == "check":
        # `l4: &l4 [*l3, *l3, ...]`: its sixth alias crosses the limit
        line = wf.read_text().splitlines()[9]
        sixth = [i for i in range(len(line)) if line.startswith("*l3", i)][5]
        assert diagnostics(done.stdout) == [("FF008", 10, sixth + 1)]
    else:
        assert "FF008" in done.stderr and not (tmp_path / "out").exists()


def test_alias_limit_counts_expanded_values_not_characters() -> None:
    """Just under the limit is fine (the file is small and shared); one level more is refused."""
    ok = parse_yaml(alias_bomb(levels=4, width=9), "ok.yaml")  # 9**4 = 6,561 values (8,289 nodes) via aliases
    assert not [d for d in ok.diagnostics if d.code is codes.TOO_LARGE]
    assert 9**4 < MAX_ALIAS_NODES < 9**5
    refused = parse_yaml(alias_bomb(levels=5, width=9), "no.yaml")
    assert [d.code for d in refused.diagnostics] == [codes.TOO_LARGE]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("command", ["check", "run"])
def test_input_that_is_not_a_regular_file_is_refused_at_its_files_entry(
    tmp_path: Path, kind: str, command: str
) -> None:
    if kind == "fifo":
        os.mkfifo(tmp_path / "events.root")
        name = "events.root"
    else:
        name = "/dev/zero"
    wf = tmp_path / "wf.yaml"
    wf.write_text(
        "version: 1.0\n"
        "sources:\n  events: {kind: root_tree, tree: events, branches: [NMuon]}\n"
        f"data:\n  datasets:\n    - name: d\n      files: [{name}]\n"
        'analysis:\n  stages:\n    - {id: S, op: hep.selection.flag, params: {selection: ["NMuon >= 2"]}}\n',
        encoding="utf-8",
    )
    args = (
        ["check", "--format", "json", str(wf)] if command == "check" else ["run", str(wf), "--outdir", "out"]
    )
    done = run_cli(args, tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1
    if command == "check":
        assert ("FF306", 7, 15) in diagnostics(done.stdout)
    else:
        assert "wf.yaml:7:15: error[FF306]" in done.stderr and "not a regular file" in done.stderr


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_workflow_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, target: str) -> None:
    path = tmp_path / "wf.yaml"
    if target == "fifo":
        os.mkfifo(path)
    done = run_cli(["check", str(path) if target == "fifo" else target], tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1 and "not a regular file" in done.stdout


@pytest.mark.parametrize(
    ("expr", "column"),
    [("NMuon + 10 ** 10 ** 10", 9), ("dataset_name * 3000000000", 1)],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_exploding_expressions_are_refused_at_their_column(
    tmp_path: Path, expr: str, column: int, command: str
) -> None:
    wf = tmp_path / "wf.yaml"
    line = f'          - {{name: X, expr: "{expr}"}}'
    wf.write_text(
        HEAD + "analysis:\n  stages:\n    - id: V\n      op: hep.define\n      params:\n        variables:\n"
        f"{line}\n",
        encoding="utf-8",
    )
    args = (
        ["check", "--format", "json", str(wf)] if command == "check" else ["run", str(wf), "--outdir", "out"]
    )
    done = run_cli(args, tmp_path)
    assert_within_limits(done)
    assert done.returncode == 1
    expected_col = line.index('"') + 1 + column
    if command == "check":
        assert diagnostics(done.stdout) == [("FF206", 10, expected_col)]
    else:
        assert f"wf.yaml:10:{expected_col}: error[FF206]" in done.stderr


def test_the_evaluator_refuses_them_too_when_the_values_come_at_run_time() -> None:
    """A global or context value is only known when running: the evaluator applies the same bounds."""
    power = compile_expr(parse("base ** exponent"), {})
    assert power({"base": 10, "exponent": 100}) == 10**100
    with pytest.raises(EvalError) as caught:
        power({"base": 10, "exponent": 10**10})
    assert caught.value.code is codes.EXPR_LIMIT and (caught.value.start, caught.value.end) == (0, 16)
    repeat = compile_expr(parse("dataset_name * n"), {})
    assert repeat({"dataset_name": "dy", "n": 3}) == "dydydy"
    with pytest.raises(EvalError) as caught:
        repeat({"dataset_name": "dy", "n": 3_000_000_000})
    assert caught.value.code is codes.EXPR_LIMIT


def test_checks_do_not_refuse_ordinary_arithmetic() -> None:
    from fasthep_flow.expressions.limits import limit_errors

    for text in ("NMuon * 3000000000", "Muon_Px ** 2", "2 ** 64 + x", "'ab' * 3 == dataset", "x ** 1e10"):
        assert limit_errors(parse(text)) == [], text  # type: ignore[arg-type]


def test_input_checksum_reads_regular_files_only_and_never_past_their_size(tmp_path: Path) -> None:
    from fasthep_flow.runtime.record import sha256_of

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(OSError, match="not a regular file"):
            sha256_of(path)
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 3_000_000)
    import hashlib

    assert sha256_of(data) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_workflow_size_limit_has_a_clear_message(tmp_path: Path) -> None:
    from fasthep_flow.document.loader import MAX_TEXT_CHARS

    wf = tmp_path / "big.yaml"
    with wf.open("w", encoding="utf-8") as f:
        f.write("version: 1.0\n")
        f.write("# " + "x" * (MAX_TEXT_CHARS + 10) + "\n")
    done = run_cli(["check", "--format", "json", str(wf)], tmp_path)
    assert_within_limits(done)
    (found,) = json.loads(done.stdout)
    assert found["code"] == "FF008" and "a workflow file may be at most 2 MB" in found["message"]


def test_include_diamonds_that_multiply_lists_are_refused(tmp_path: Path) -> None:
    """Like nested aliases, files that include the same files many times multiply their lists (6**9 here)."""
    levels, width = 9, 6
    for level in range(levels):
        for i in range(width):
            body = (
                "observers: [{kind: hep.branches}]\n"
                if level == levels - 1
                else "include: [" + ", ".join(f"f{level + 1}_{j}.yaml" for j in range(width)) + "]\n"
            )
            (tmp_path / f"f{level}_{i}.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "wf.yaml").write_text(
        "include: [f0_0.yaml]\n" + HEAD + STAGE.replace("  stages", "analysis:\n  stages")
    )
    done = run_cli(["check", "--format", "json", "wf.yaml"], tmp_path)
    assert_within_limits(done)
    found = json.loads(done.stdout)
    too_large = [d for d in found if d["code"] == "FF008"]
    assert (
        len(too_large) == 1
        and "merging includes would build more than 50,000 list items" in too_large[0]["message"]
    )
    assert done.returncode == 1


def test_string_formatting_with_percent_is_refused_without_being_computed() -> None:
    """`'%0999999999d' % 1` would build a gigabyte of text — when checked (constant folding) or when run."""
    import resource

    from fasthep_flow.expressions.limits import limit_errors

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (error,) = limit_errors(parse("'%0999999999d' % 1"))  # type: ignore[arg-type]
    assert error.code is codes.EXPR_LIMIT and "formats a string with '%'" in error.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: nothing was built
    fmt = compile_expr(parse("pattern % n"), {})
    with pytest.raises(EvalError) as caught:
        fmt({"pattern": "%0999999999d", "n": 1})
    assert caught.value.code is codes.EXPR_LIMIT
    assert compile_expr(parse("n % 3"), {})({"n": 7}) == 1  # numbers keep their modulo

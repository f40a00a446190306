"""A code owns its words: every code in `document/codes.py` carries a message template, why it is reported, an
example and how to fix it (the docs page is generated from them), and what the tool really says follows them.

The examples are fixtures: `diagnostics/` ones are checked by `tests/compiler/test_fixtures.py`, `run/` ones are
run here. Messages and fix availability are compared with what `check` reports on the whole fixture corpus.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, compile_file
from fasthep_flow.document.codes import ALL_CODES, BY_ID, Code, FixAvailability

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DIAG_CASES = sorted(
    p for p in (FIXTURES / "diagnostics").glob("FF*.yaml") if not p.name.endswith(".fixed.yaml")
)
RUN_CASES = sorted((FIXTURES / "run").glob("FF*.yaml"))
EXPECT_RUN = re.compile(r"^# expect-run: (FF\d{3})$", re.MULTILINE)


@pytest.mark.parametrize("code", ALL_CODES, ids=lambda c: c.id)
def test_every_code_is_documented_with_an_example_and_a_fix(code: Code) -> None:
    missing = [
        what
        for what, value in (
            ("messages", code.messages),
            ("why", code.why),
            ("how_to_fix", code.how_to_fix),
            ("example or output", code.example or code.output),
        )
        if not value
    ]
    assert missing == [], f"{code.id} {code.name} lacks: {', '.join(missing)} (document/codes.py)"


@pytest.mark.parametrize("code", [c for c in ALL_CODES if c.example], ids=lambda c: c.id)
def test_a_codes_example_is_a_fixture_that_reports_that_code(code: Code) -> None:
    path = FIXTURES / code.example
    assert path.is_file(), f"{code.id}: example {code.example} does not exist under tests/fixtures/"
    text = path.read_text(encoding="utf-8")
    if code.example.startswith("run/"):
        assert EXPECT_RUN.findall(text) == [code.id]
    else:
        assert code.example.startswith("diagnostics/")
        assert re.search(rf"^# expect(-in)?: .*\b{code.id}\b", text, re.MULTILINE), code.id


def test_the_check_of_each_fixture_follows_the_codes_templates_and_fix_availability() -> None:
    """Every message the fixtures produce is one of its code's templates filled in; a fix appears only on codes
    that declare one, and a code declaring `always` never comes without it."""
    wrong_message, wrong_fix = [], []
    seen_fix: set[str] = set()
    options = CompileOptions(trust=False, check_inputs=True)
    for path in DIAG_CASES:
        for d in compile_file(path, options).diagnostics:
            if not d.code.follows_template(d.message):
                wrong_message.append(f"{path.name}: {d.code.id} {d.message!r}")
            if d.fix is not None:
                seen_fix.add(d.code.id)
                if d.code.fixable is FixAvailability.NEVER:
                    wrong_fix.append(f"{path.name}: {d.code.id} has a fix but declares none")
            elif d.code.fixable is FixAvailability.ALWAYS:
                wrong_fix.append(f"{path.name}: {d.code.id} declares `always` but has no fix")
    assert wrong_message == []
    assert wrong_fix == []
    declared = {c.id for c in ALL_CODES if c.fixable is not FixAvailability.NEVER}
    assert declared - seen_fix == set()  # every code that declares a fix shows one on some fixture


def test_templates_match_their_filled_in_messages_only() -> None:
    code = BY_ID["FF101"]
    assert code.message(op="hep.hsit") == "unknown op 'hep.hsit'"
    assert code.follows_template("unknown op 'hep.hsit'")
    assert not code.follows_template("unknown op hep.hsit")
    assert not code.follows_template("the op 'x' is unknown")


@pytest.mark.parametrize("path", RUN_CASES, ids=lambda p: p.stem)
def test_run_examples_report_their_code_when_run(path: Path, tmp_path: Path) -> None:
    """Problems only a run can find: `check` passes (warnings allowed), the run reports the fixture's code."""
    from fasthep_flow.runtime import RunOptions, run_plan

    [code_id] = EXPECT_RUN.findall(path.read_text(encoding="utf-8"))
    result = compile_file(path, CompileOptions(trust=False, check_inputs=True))
    assert result.plan is not None, [d.message for d in result.diagnostics]
    assert not any(d.is_error for d in result.diagnostics)
    run = run_plan(result.plan, RunOptions(outdir=tmp_path / "out"), registry=result.registry)
    found = [d for d in [*run.errors, *run.warnings] if d.code.id == code_id]
    assert found, [f"{d.code.id}: {d.message}" for d in [*run.errors, *run.warnings]]
    assert all(d.code.follows_template(d.message) for d in found), [d.message for d in found]

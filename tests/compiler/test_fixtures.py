"""The fixture corpus: every invalid workflow reports exactly its markers, every valid one nothing.

Diagnostics fixtures (``tests/fixtures/diagnostics/FFnnn-*.yaml``) carry their expectations in their first
lines (see ``markers.py``); the comparison is a set equality over (file, line, col, code), warnings included,
so a missing diagnostic and an extra one both fail. Fixtures whose diagnostics carry safe fixes have a golden
``*.fixed.yaml`` beside them: the fixes applied with the production ``apply_edits`` must give it, and the
fixed text must no longer report the codes that were fixed. ``pytest --update-goldens`` rewrites goldens.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, CompileResult, compile_file, compile_text
from fasthep_flow.document import apply_edits
from fasthep_flow.document.codes import BY_ID
from fasthep_flow.document.diagnostics import Edit

from .markers import MarkerError, describe, diagnostic_keys, read_expect_markers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DIAG_DIR = FIXTURES / "diagnostics"
VALID_DIR = FIXTURES / "valid"
GOLDEN_SUFFIX = ".fixed.yaml"
OPTIONS = CompileOptions(trust=False, check_inputs=True)

CASES = sorted(p for p in DIAG_DIR.glob("FF*.yaml") if not p.name.endswith(GOLDEN_SUFFIX))
VALID = sorted(VALID_DIR.glob("*.flow.yaml"))

# Every static check the compiler makes has at least one fixture (FF305's reads tests/data/uproot-HZZ.root;
# test_inputs.py covers more FF305/FF306 cases on files it writes).
REQUIRED_CODES = {
    "FF001", "FF002", "FF003", "FF004", "FF005", "FF006", "FF007",
    "FF101", "FF102", "FF103", "FF104", "FF105", "FF106", "FF107", "FF108", "FF109", "FF110", "FF111",
    "FF112", "FF113", "FF114", "FF115", "FF116", "FF117", "FF118", "FF119", "FF120", "FF121", "FF122",
    "FF123",
    "FF201", "FF202", "FF203", "FF204", "FF205",
    "FF301", "FF302", "FF303", "FF304", "FF305", "FF306", "FF307", "FF308", "FF309",
}  # fmt: skip


def _compile(path: Path) -> CompileResult:
    """Compiled from its own folder: the project root, where relative paths resolve without FF141."""
    with contextlib.chdir(path.parent):
        return compile_file(path, OPTIONS)


def _golden(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".yaml") + GOLDEN_SUFFIX)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_expected_diagnostics(path: Path) -> None:
    expected = read_expect_markers(path)
    assert expected, f"{path.name} has no `# expect:` markers"
    diagnostics = _compile(path).diagnostics
    got = diagnostic_keys(diagnostics)
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (
        f"{path.name}:\n  missing: {describe(missing, DIAG_DIR)}\n  extra:   {describe(extra, DIAG_DIR)}"
    )
    assert len(diagnostics) == len(got), f"{path.name}: a diagnostic is reported twice at one place"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_fixture_is_named_for_its_code(path: Path) -> None:
    """`FF101-unknown-op.yaml` is about FF101: its code is among what it expects, and the code exists."""
    code = path.name.split("-", 1)[0]
    assert code in BY_ID, f"{path.name}: no diagnostic code {code}"
    assert code in {c for *_, c in read_expect_markers(path)}, (
        f"{path.name} does not expect its own code {code}"
    )


def test_corpus_covers_every_static_check() -> None:
    covered = {code for path in CASES for *_, code in read_expect_markers(path)}
    assert REQUIRED_CODES - covered == set()
    assert len(CASES) >= 60


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name.removesuffix(".flow.yaml"))
def test_valid_workflow_compiles_cleanly(path: Path) -> None:
    result = _compile(path)
    shown = [f"{Path(d.span.file).name}:{d.span.start} {d.code.id} {d.message}" for d in result.diagnostics]
    assert shown == []
    assert result.plan is not None
    assert result.plan.nodes


def test_valid_corpus_is_large_enough() -> None:
    assert len(VALID) >= 12


def test_valid_corpus_uses_every_op() -> None:
    """Sources, transforms, sinks, renders, observers and reports: each op of the registry runs in some valid
    plan."""
    from fasthep_flow.registry import load_registry

    registry, _ = load_registry(None, None, False)
    plans = [plan for path in VALID if (plan := _compile(path).plan) is not None]
    used = {node.op for plan in plans for node in plan.nodes}
    used |= {report["op"] for plan in plans for report in plan.reports}
    # ops accepted for upstream compatibility but without an effect yet warn FF140, so no valid (silent)
    # workflow can use them: their fixture is FF140-pending-render-ops.yaml
    assert sorted({spec.name for spec in registry.all_ops() if not spec.pending} - used) == []


# --- golden files for safe fixes ------------------------------------------------------------------------------


def _safe_edits(result: CompileResult, path: Path) -> tuple[list[str], list[Edit]]:
    """Codes with a safe fix in ``path`` and those fixes' edits (edits in other files are not applied here)."""
    codes: list[str] = []
    edits: list[Edit] = []
    for d in result.diagnostics:
        if d.fix is None or not d.fix.safe or Path(d.span.file).resolve() != path:
            continue
        mine = [e for e in d.fix.edits if Path(e.span.file).resolve() == path]
        if mine:
            codes.append(d.code.id)
            edits.extend(mine)
    return codes, edits


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_safe_fixes_match_golden(path: Path, update_goldens: bool) -> None:
    path = path.resolve()
    golden = _golden(path)
    before = _compile(path)
    fixed_codes, edits = _safe_edits(before, path)
    if not edits:
        assert not golden.exists(), f"{golden.name} is stale: {path.name} has no safe fix any more"
        return
    text = path.read_text(encoding="utf-8")
    fixed = apply_edits(text, edits)
    assert fixed != text
    if update_goldens:
        golden.write_text(fixed, encoding="utf-8")
    assert golden.exists(), f"{path.name} has safe fixes but no {golden.name}; run pytest --update-goldens"
    assert fixed == golden.read_text(encoding="utf-8")

    with contextlib.chdir(path.parent):  # from the fixture's folder, as `_compile`
        after = compile_text(fixed, str(path), OPTIONS)
    after_codes = {d.code.id for d in after.diagnostics}
    assert after_codes.isdisjoint(fixed_codes), f"fixed codes still reported: {sorted(after_codes)}"
    assert after_codes <= {d.code.id for d in before.diagnostics}, "a fix introduced a new problem"


def test_goldens_belong_to_a_fixture() -> None:
    for golden in DIAG_DIR.glob("*" + GOLDEN_SUFFIX):
        assert golden.with_name(golden.name.removesuffix(GOLDEN_SUFFIX) + ".yaml").is_file(), golden.name


# --- the marker reader itself ---------------------------------------------------------------------------------


def test_markers_read_several_forms(tmp_path: Path) -> None:
    (tmp_path / "_includes").mkdir()
    (tmp_path / "_includes" / "inc.yaml").write_text("a: 1\n")
    case = tmp_path / "FF002-x.yaml"
    case.write_text(
        "# expect: 3:1 FF002, 4:9 FF303\n"
        "# expect-in: _includes/inc.yaml 1:4 FF116\n"
        "# a description, not a marker\n"
        "# expect: 9:9 FF999\n"  # after the description: not read
        "a: 1\n"
    )
    assert read_expect_markers(case) == {
        (case.resolve(), 3, 1, "FF002"),
        (case.resolve(), 4, 9, "FF303"),
        ((tmp_path / "_includes" / "inc.yaml").resolve(), 1, 4, "FF116"),
    }


@pytest.mark.parametrize(
    "header", ["# expect: 3 FF002\n", "# expect: 3:1 F002\n", "# expect-in: _includes/nope.yaml 1:1 FF002\n"]
)
def test_malformed_markers_are_refused(tmp_path: Path, header: str) -> None:
    case = tmp_path / "FF002-x.yaml"
    case.write_text(header + "a: 1\n")
    with pytest.raises(MarkerError):
        read_expect_markers(case)

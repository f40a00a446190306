"""Every case of ``conformance/cases`` against its golden (upstream fasthep 2026.10.1's products as figures).

Three tests per case: ``check`` (a workflow upstream accepts gives no error; a mistake case gives the expected
diagnostics at their line and column), ``run`` (a workflow upstream runs runs with ours) and ``numbers`` (ours'
cutflows, histograms and written entries equal the golden, quantity by quantity — see conformance/compare.py).
What does not conform yet is listed in ``conformance/known_failures.txt``: whole aspects are strict xfails and
listed quantities must still differ, so an entry that starts conforming fails the suite until it is removed.
Upstream is never needed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance import known, verdicts
from conformance.cases import Case, NeedsWorkshop, all_cases, data_dir
from conformance.runner import Outcome, check, run
from conformance.summary import TALLY

CASES = all_cases()
KNOWN = known.load()
RUNNABLE = [c for c in CASES if verdicts.runs_upstream(c)]
COMPARABLE = [c for c in RUNNABLE if verdicts.has_products(c)]
_OUTCOMES: dict[str, Outcome | NeedsWorkshop] = {}


def _params(aspect: str, cases: list[Case]) -> list[object]:
    out = []
    for case in cases:
        entry = known.whole(KNOWN, case.name, aspect)
        marks = [pytest.mark.xfail(strict=True, reason=entry.reason)] if entry else []
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


@pytest.fixture(scope="session")
def scratch_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance")


def _outcome(case: Case, scratch_root: Path, aspect: str) -> Outcome:
    """Check, then (when clean and upstream ran it) run the case, once per session."""
    if case.name not in _OUTCOMES:
        scratch = scratch_root / case.name
        scratch.mkdir()
        try:
            outcome, cwd = check(case, scratch, data_dir())
        except NeedsWorkshop as exc:
            _OUTCOMES[case.name] = exc
        else:
            if outcome.errors == 0 and verdicts.runs_upstream(case):
                run(case, outcome, cwd, scratch / "out")
            _OUTCOMES[case.name] = outcome
    got = _OUTCOMES[case.name]
    TALLY.cases.add(case.name)
    if isinstance(got, NeedsWorkshop):
        TALLY.outcomes[f"{aspect} not-run"] += 1
        pytest.skip(str(got))  # counted as not run in the summary, never as a pass
    return got


def _record(aspect: str, case: Case, passed: bool) -> None:
    verdict = "pass" if passed else "known-failure" if known.whole(KNOWN, case.name, aspect) else "fail"
    TALLY.outcomes[f"{aspect} {verdict}"] += 1


@pytest.mark.parametrize("case", _params("check", CASES))
def test_check(case: Case, scratch_root: Path) -> None:
    problems = verdicts.check_problems(case, _outcome(case, scratch_root, "check"))
    _record("check", case, not problems)
    assert not problems, f"ours' check does not conform: {problems}"


@pytest.mark.parametrize("case", _params("run", RUNNABLE))
def test_run(case: Case, scratch_root: Path) -> None:
    outcome = _outcome(case, scratch_root, "run")
    problem = verdicts.run_problem(outcome)
    _record("run", case, problem is None)
    assert problem is None, f"{problem}\n{outcome.log[-2000:]}"


@pytest.mark.parametrize("case", _params("numbers", COMPARABLE))
def test_numbers(case: Case, scratch_root: Path) -> None:
    result = verdicts.numbers(case, _outcome(case, scratch_root, "numbers"))
    if result is None:
        _record("numbers", case, False)
        pytest.fail("ours produced nothing to compare (its check or run failed)")
    entries = [k for k in KNOWN if k.case == case.name and k.aspect == "numbers" and k.quantity]
    still_failing: set[str] = set()
    unexpected = []
    TALLY.quantities["deviation"] += len(result.deviations)
    TALLY.quantities["compared"] += len(result.compared)
    TALLY.quantities["matched"] += len(result.compared) - len(result.differing)
    for q in result.differing:
        entry = known.quantity(entries, case.name, q.name)
        if entry:
            TALLY.quantities["known-failure"] += 1
            still_failing.add(entry.quantity or "")
        else:
            TALLY.quantities["unexpected-mismatch"] += 1
            unexpected.append(f"{q.name}: {q.detail}")
    stale = sorted({k.quantity or "" for k in entries} - still_failing)
    verdict = "fail" if unexpected or stale else "known-failure" if result.differing else "pass"
    TALLY.outcomes[f"numbers {verdict}"] += 1
    assert result.compared or result.deviations, "the golden holds no product to compare"
    assert not stale, f"known_failures.txt entries that now match upstream (remove them): {stale}"
    assert not unexpected, "differs from upstream:\n" + "\n".join(unexpected)

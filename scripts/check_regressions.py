"""Issue 13's "Done when": each wrong answer and each run-from-the-editor problem has a test that fails on the
sources before the fix and passes on these.

    git worktree add /tmp/old 10857a9
    python scripts/check_regressions.py /tmp/old/src            # prints bullet | test | old | new

The tests are this checkout's; ``PYTHONPATH`` selects which sources they (and the server they spawn, a
``python -m fasthep_flow lsp`` subprocess that inherits it) import. Exit status 1 when a bullet has no test
that fails on the old sources and passes on these.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
A, R, N, S = (
    "tests/lsp/test_lsp_answers.py::",
    "tests/lsp/test_lsp_runs.py::",
    "tests/lsp/test_lsp_neovim.py::",
    "tests/service/test_service_answers.py::",
)
BULLETS: dict[str, tuple[str, ...]] = {
    "renaming a field leaves `keep` stale": (
        A + "test_renaming_a_field_renames_it_in_keep_too",
        S + "test_references_and_rename_of_a_field_include_keep",
    ),
    "`keep: [Typo]` gets no diagnostic": (
        A + "test_a_typo_in_an_output_keep_is_diagnosed",
        S + "test_a_typo_in_keep_is_an_unknown_field_with_a_suggestion",
    ),
    "`keep` gets no completion, no references": (
        A + "test_keep_entries_complete_and_reference_fields",
        S + "test_keep_completes_the_fields_the_writing_stage_leaves",
        S + "test_references_from_a_keep_entry",
    ),
    "included-file diagnostics stale in Neovim": (
        "tests/lsp/test_lsp_server.py::test_editing_an_included_file_rediagnoses_its_includer[neovim@v0.11.0]",
        N + "test_neovim_shows_an_included_files_edit_in_the_workflow",
    ),
    "an included file's FF306 shows nothing in the includer": (
        A + "test_an_included_files_warning_is_shown_in_the_including_file",
        S + "test_the_including_file_shows_an_included_files_warnings",
    ),
    "rename onto an existing id accepted": (
        A + "test_rename_onto_a_taken_stage_id_is_refused_with_the_reason",
        S + "test_rename_refuses_a_stage_id_already_taken",
    ),
    "rename from a style's definition in styles.yaml misses uses": (
        A + "test_rename_a_style_from_its_definition_in_the_included_file",
        S + "test_rename_a_style_from_its_definition_in_an_included_file",
    ),
    "completion offers self-reference, own flag, cycle-closing needs": (
        A + "test_completion_leaves_out_what_would_be_an_error_at_once",
        S + "test_a_variable_is_not_offered_inside_its_own_expression",
        S + "test_a_cutflow_flag_is_not_offered_in_its_own_selection",
        S + "test_needs_leaves_out_stages_that_would_close_a_cycle",
    ),
    "one typo'd op gives FF101 plus FF303s": (
        A + "test_an_unknown_op_gives_one_error_not_one_per_field",
        S + "test_an_unknown_op_is_one_error_not_one_per_field_it_would_define",
    ),
    "$/cancelRequest: the run goes on": (
        R + "test_a_cancelled_request_s_run_stops_making_progress",
        R + "test_cancel_request_stops_the_run_and_ends_the_progress",
    ),
    "the progress never sends end": (
        R + "test_cancel_request_stops_the_run_and_ends_the_progress",
        R + "test_a_run_that_cannot_start_still_ends_its_progress",
    ),
    "window/workDoneProgress/cancel ignored": (R + "test_progress_cancel_stops_the_run_and_writes_nothing",),
    "progress not marked cancellable": (R + "test_a_run_s_progress_is_cancellable",),
    "Preview plan shows nothing in Neovim": (
        R + "test_preview_plan_shows_a_document_in_neovim",
        N + "test_neovim_preview_plan_opens_a_document",
    ),
    "previewPlan on a missing file: a traceback": (
        R + "test_preview_of_an_unopened_missing_file_has_no_traceback",
    ),
}


def run(src: Path, tests: list[str], xml: Path) -> dict[str, str]:
    """``test id -> passed|failed|error|skipped`` for the tests run against the sources under ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        f"--junitxml={xml}",
        *tests,
    ]
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)
    results: dict[str, str] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        test_id = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        results[test_id] = {"failure": "failed"}.get(outcome, outcome)
    return results


def outcome(results: dict[str, str], test_id: str) -> str:
    """A test's outcome; a parametrised test without its parameter is every case of it (failed if any did)."""
    found = [v for k, v in results.items() if k == test_id or k.startswith(test_id + "[")]
    if not found:
        return "not run"
    return "passed" if all(v == "passed" for v in found) else "failed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old_src", type=Path, help="the src/ folder of a checkout of the old commit")
    args = parser.parse_args(argv)
    tests = sorted({t.split("[")[0] for ids in BULLETS.values() for t in ids})
    with tempfile.TemporaryDirectory() as tmp:
        old = run(args.old_src.resolve(), tests, Path(tmp) / "old.xml")
        new = run(ROOT / "src", tests, Path(tmp) / "new.xml")
    missing = 0
    for bullet, ids in BULLETS.items():
        shown = False
        for test_id in ids:
            o, n = outcome(old, test_id), outcome(new, test_id)
            print(f"{bullet if not shown else '':<62} | {test_id.split('::')[-1]:<70} | old {o:<7} | new {n}")
            shown = True
        if not any(outcome(old, t) == "failed" and outcome(new, t) == "passed" for t in ids):
            missing += 1
            print(f"{'':<62} | ^ no test fails on the old sources and passes now")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

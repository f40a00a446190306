"""Per-stage results re-used across versions (``document/node_memo.py``) never go stale: compiling each
version of a workflow after an edit, with the previous parse (so the untouched stages' nodes and their
remembered results are shared), reports exactly what a compile from scratch reports."""

from __future__ import annotations

import random

import pytest

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document.node_memo import NodeMemo, new_generation

STAGES = 24


def _workflow() -> list[str]:
    lines = [
        "version: 1.0",
        "sources:",
        "  events: {kind: root_tree, tree: events, branches: [NMuon, Muon_Px, Muon_Py, Muon_Iso]}",
        "analysis:",
        "  globals: {iso_cut: 0.1}",
        "  stages:",
    ]
    last = "Muon_Px"
    for i in range(STAGES):
        if i % 3 == 0:
            lines += [
                f"    - id: Define{i}",
                "      op: hep.define",
                "      params:",
                "        variables:",
                f'          - {{name: V{i}, expr: "sqrt({last} ** 2 + Muon_Py ** 2)"}}',
            ]
            last = f"V{i}"
        elif i % 3 == 1:
            lines += [
                f"    - id: Flag{i}",
                "      op: hep.selection.flag",
                "      params:",
                f'        selection: ["NMuon >= 1", "leading({last}, 0) > 3"]',
            ]
        else:
            lines += [
                f"    - id: Hist{i}",
                "      op: hep.hist",
                "      params:",
                f"        axes: [{{name: x, source: {last}, type: regular, bins: {{low: 0, high: 100, nbins: 20}}}}]",
            ]
    return lines


def _edit(lines: list[str], rng: random.Random) -> list[str]:
    """One edit of the kinds an editor makes: a name in an expression, a key, a stage added or removed, a
    stage moved (what it reads may then be defined after it)."""
    out = list(lines)
    stage_starts = [n for n, line in enumerate(out) if line.startswith("    - id: ")]
    kind = rng.choice(["expr", "key", "add", "remove", "move", "rename_field"])
    if kind == "expr":
        n = rng.choice([n for n, line in enumerate(out) if "expr:" in line or "selection:" in line])
        out[n] = (
            out[n].replace("Muon_Py", "Muon_Pz")
            if "Muon_Py" in out[n]
            else out[n].replace("NMuon", "Muon_Py")
        )
    elif kind == "key":
        n = rng.choice([n for n, line in enumerate(out) if "high: 100" in line or "hig: 100" in line])
        out[n] = out[n].replace("high:", "hig:") if "high:" in out[n] else out[n].replace("hig:", "high:")
    elif kind == "add":
        at = rng.choice(stage_starts)
        out[at:at] = [f"    - id: Added{at}", "      op: hep.selection.flag", "      params:",
                      f'        selection: ["V0 > {at}"]']  # fmt: skip
    elif kind == "remove" and len(stage_starts) > 2:
        k = rng.randrange(len(stage_starts) - 1)
        del out[stage_starts[k] : stage_starts[k + 1]]
    elif kind == "move" and len(stage_starts) > 2:
        k = rng.randrange(len(stage_starts) - 1)
        block = out[stage_starts[k] : stage_starts[k + 1]]
        del out[stage_starts[k] : stage_starts[k + 1]]
        out[len(out) - 1 : len(out) - 1] = block
    else:
        n = rng.choice([n for n, line in enumerate(out) if "{name: " in line])
        out[n] = (
            out[n].replace("{name: V", "{name: W")
            if "{name: V" in out[n]
            else out[n].replace("{name: W", "{name: V")
        )
    return out


def _facts(result):  # type: ignore[no-untyped-def]
    diags = [(d.code.id, d.span, d.message, d.hint, d.related) for d in result.diagnostics]
    refs = sorted((r.name, r.kind.value, r.span, r.stage, r.resolved) for r in result.index.references)
    defs = sorted((d.name, d.kind.value, d.span, d.stage) for d in result.index.definitions)
    return diags, refs, defs


@pytest.mark.parametrize("seed", [4, 13, 21])
def test_incremental_compiles_report_what_fresh_compiles_report(seed: int) -> None:
    rng = random.Random(seed)
    lines = _workflow()
    text = "\n".join(lines) + "\n"
    previous = compile_text(text, "wf.yaml")
    shared = 0
    for _ in range(50):
        lines = _edit(lines, rng)
        text = "\n".join(lines) + "\n"
        main = previous.loaded.main
        assert main is not None
        options = (
            CompileOptions(previous=(previous_text, main)) if (previous_text := _text_of(previous)) else None
        )
        incremental = compile_text(text, "wf.yaml", options)
        fresh = compile_text(text, "wf.yaml")
        assert _facts(incremental) == _facts(fresh)
        root = incremental.loaded.root
        if root is not None and fresh.loaded.root is not None and root is not fresh.loaded.root:
            shared += any(
                a is b for a, b in zip(_stage_nodes(incremental), _stage_nodes(previous), strict=False)
            )
        previous = incremental
    assert shared >= 15, "the edits hardly ever shared a stage: this test would not see stale results"


def _text_of(result) -> str | None:  # type: ignore[no-untyped-def]
    main = result.loaded.main
    return main.index.text if main is not None else None


def _stage_nodes(result) -> list[object]:  # type: ignore[no-untyped-def]
    root = result.loaded.root
    analysis = root.get("analysis") if root is not None else None
    stages = analysis.get("stages") if analysis is not None else None
    return list(getattr(stages, "items", []))


def test_memo_answers_only_for_the_same_guard_and_keeps_two_generations() -> None:
    memo: NodeMemo[str] = NodeMemo(100)
    key_a, key_b = object(), object()
    spec, other_spec = object(), object()
    new_generation()
    assert memo.get((key_a,), spec, lambda: "a") == "a"
    assert memo.get((key_a,), spec, lambda: "again") == "a"
    assert memo.get((key_a,), other_spec, lambda: "made with the other spec") == "made with the other spec"
    memo.get((key_b,), spec, lambda: "b")
    new_generation()  # the next compile still finds what the last one used
    assert memo.get((key_b,), spec, lambda: "lost") == "b"
    new_generation()  # key_a was not used by the last compile: forgotten
    assert memo.get((key_a,), other_spec, lambda: "recomputed") == "recomputed"
    assert memo.get((key_b,), spec, lambda: "lost") == "b"
    new_generation()
    new_generation()
    assert len(memo) == 0

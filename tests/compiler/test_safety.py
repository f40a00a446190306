"""Workflow expressions never reach Python's eval/exec/compile, whatever they contain.

During a full ``compile_file`` (and the evaluation of safe expressions) ``builtins.eval``, ``exec`` and
``compile`` are replaced by functions that fail the test. Workflows carrying classic escape attempts must come
back as diagnostics, with no plan, and the file the payload would create must not exist.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, compile_file
from fasthep_flow.document import Severity

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "toy_zmumu.flow.yaml"


class ForbiddenCall(AssertionError):
    pass


@contextlib.contextmanager
def forbidden_eval() -> Iterator[list[str]]:
    """Within the block, eval/exec/compile record the call and raise; restored before any assertion runs."""
    calls: list[str] = []
    saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def forbid(name: str):  # type: ignore[no-untyped-def]
        def call(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise ForbiddenCall(f"builtins.{name} was called")

        return call

    for name in saved:
        setattr(builtins, name, forbid(name))
    try:
        yield calls
    finally:
        for name, fn in saved.items():
            setattr(builtins, name, fn)


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    """Import everything lazy first: making dataclasses and the like uses exec legitimately, once."""
    compile_file(EXAMPLE, CompileOptions())


def _payloads(marker: Path) -> dict[str, str]:
    m = str(marker)
    return {
        "import-system": f"__import__('os').system('touch {m}')",
        "eval-call": f"eval(\"open('{m}', 'w')\")",
        "exec-call": f"exec(\"open('{m}', 'w').write('x')\")",
        "open-write": f"open('{m}', 'w').write('x') > 0",
        "subclasses": "().__class__.__bases__[0].__subclasses__()",
        "dunder-attr": "NMuon.__class__.__init__.__globals__",
        "getattr": f"getattr(__import__('os'), 'system')('touch {m}')",
        "lambda": f"(lambda: __import__('os').system('touch {m}'))()",
        "comprehension": f"[__import__('os').system('touch {m}') for _ in [1]]",
        "method-call": "NMuon.__reduce__()",
        "compile-call": f"compile('touch {m}', 'x', 'exec')",
    }


PAYLOAD_IDS = list(_payloads(Path("/x")).keys())

PLACES = {
    "selection": "    - id: Sel\n      op: hep.selection.flag\n      params:\n        selection: [{expr}]\n",
    "define": "    - id: Vars\n      op: hep.define\n      params:\n        variables:\n          - {{name: X, expr: {expr}}}\n",
    "weight_expr": (
        "    - id: Cuts\n      op: hep.selection.cutflow\n      params:\n"
        '        selection: {{all: ["NMuon >= 0"]}}\n        weight_expr: {expr}\n'
    ),
    "axis-source": (
        "    - id: H\n      op: hep.hist\n      params:\n"
        "        axes: [{{name: x, source: {expr}, type: regular, bins: {{low: 0, high: 1, nbins: 2}}}}]\n"
    ),
    "reduce-over": (
        "    - id: Vars\n      op: hep.define\n      params:\n        variables:\n"
        "          - {{name: N, reduce: {{op: count_nonzero, over: {expr}}}}}\n"
    ),
}


def _yaml_double_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("place", PLACES.keys())
@pytest.mark.parametrize("payload", PAYLOAD_IDS)
def test_unsafe_expression_is_a_diagnostic_not_a_call(tmp_path: Path, place: str, payload: str) -> None:
    marker = tmp_path / "PWNED"
    expr = _payloads(marker)[payload]
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(
        "version: 1.0\nsources:\n  events: {kind: toy, nevents: 10}\nanalysis:\n  stages:\n"
        + PLACES[place].format(expr=_yaml_double_quoted(expr)),
        encoding="utf-8",
    )
    with forbidden_eval() as calls:
        result = compile_file(wf, CompileOptions(trust=False, check_inputs=True))
    assert calls == []
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors, f"{payload!r} in {place} was accepted"
    assert {d.code.id for d in errors} <= {"FF201", "FF202", "FF203", "FF204", "FF303"}
    assert any(d.code.id in ("FF201", "FF202", "FF203") for d in errors)
    # every error sits on the expression's line (the last of each workflow), in the workflow file
    line = len(wf.read_text(encoding="utf-8").splitlines()) - 1
    assert all(d.span.start.line == line and Path(d.span.file) == wf for d in errors)
    assert result.plan is None
    assert not marker.exists()


def test_valid_workflow_compiles_without_eval() -> None:
    with forbidden_eval() as calls:
        result = compile_file(EXAMPLE, CompileOptions())
    assert result.plan is not None
    assert calls == []


def test_expression_evaluation_uses_no_eval() -> None:
    """The evaluator builds closures from the AST; evaluating a safe expression still calls no eval/exec."""
    import numpy as np

    from fasthep_flow.expressions import FunctionSig, check, compile_expr, parse
    from fasthep_flow.registry import load_registry

    registry, _ = load_registry(None, None, False)
    functions = {name: _impl(registry.functions[name].impl) for name in ("sqrt", "where")}
    sigs = {n: FunctionSig(n, f.min_args, f.max_args, f.doc) for n, f in registry.functions.items()}
    data = {"NMuon": np.array([2, 1]), "Px": np.array([3.0, 1.0]), "Py": np.array([4.0, 1.0])}
    text = "where(NMuon >= 2, sqrt(Px ** 2 + Py ** 2), -1.0)"
    compile_expr(parse(text), functions)(data)  # warm-up: importing modules (awkward, ...) runs exec
    with forbidden_eval() as calls:
        expr = parse(text)
        problems = check(expr, sigs)
        out = compile_expr(expr, functions)(data)
    assert calls == []
    assert problems == []
    assert out.tolist() == [5.0, -1.0]


def _impl(ref: str):  # type: ignore[no-untyped-def]
    import importlib

    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)

"""Inlay hints: the inferred type of each variable a ``hep.define`` stage defines (``var * float64``).

No data is read. The branch types come from the input file's metadata (the compiler records them in the
symbol index); each branch becomes an empty awkward array turned into a *typetracer* (an array that knows its
type but holds no values), and each define's expression is evaluated over those with the same evaluator and
function table a run uses. A type error an expression would raise on the data (adding a list of lists to a
number, a function given the wrong kind of array) is raised here too, and shown at the variable before any run.
awkward is imported only here, and only when there are branch types to work from.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import locate as loc

if TYPE_CHECKING:
    from fasthep_flow.registry import Registry
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InlayHint:
    pos: Pos
    label: str
    tooltip: str = ""
    error: bool = False
    """The expression fails on the inferred types: ``label`` says so and ``tooltip`` has the message."""


@dataclass(frozen=True, slots=True)
class InferredType:
    name: str
    node: ScalarNode
    """The scalar naming the variable."""
    type: str | None
    error: str | None = None


def inlay_hints(doc: Document, span: Span | None, ctx: Context) -> list[InlayHint]:
    if not ctx.settings.inlay_hints:
        return []
    out = []
    for found in infer_types(doc, ctx):
        end = found.node.span.end
        if span is not None and not (span.start <= end <= span.end):
            continue
        if found.error is not None:
            out.append(InlayHint(end, ": ⚠ type error", found.error, error=True))
        elif found.type is not None:
            out.append(
                InlayHint(end, f": {found.type}", f"`{found.name}`: {found.type} (inferred, no data read)")
            )
    return out


def infer_types(doc: Document, ctx: Context) -> list[InferredType]:
    """The type of every ``hep.define`` variable of this file, in order (empty when no branch type is known)."""
    result = doc.compiled(ctx)
    root = doc.parsed.root
    branch_types = dict(result.index.branch_types)
    reg = result.registry
    stages = loc.get_path(root, "analysis", "stages")
    if not branch_types or reg is None or not isinstance(stages, SeqNode):
        return []
    try:
        import awkward as ak
    except ImportError:  # the `hep` extra is not installed: no types, no hints
        return []
    from fasthep_flow.expressions import Expr, parse
    from fasthep_flow.expressions.evaluator import compile_expr

    functions = _functions(reg)
    symbols: dict[str, Any] = {}
    for name, typestr in branch_types.items():
        array = _typetracer(ak, typestr)
        if array is not None:
            symbols[name] = array
    symbols.update(_globals(result.workflow))
    out: list[InferredType] = []
    for stage in stages.items:
        if not isinstance(stage, MapNode) or _text(stage.get("op")) != "hep.define":
            continue
        variables = loc.get_path(stage, "params", "variables")
        for item in variables.items if isinstance(variables, SeqNode) else ():
            if not isinstance(item, MapNode):
                continue
            name = item.get("name")
            if not isinstance(name, ScalarNode) or not name.is_string or name.span.file != doc.path:
                continue
            value, error = _evaluate(item, symbols, functions, parse, Expr, compile_expr)
            if value is _UNKNOWN:
                continue
            if error is not None:
                out.append(InferredType(name.text, name, None, error))
                continue
            symbols[name.text] = value
            out.append(InferredType(name.text, name, _type_string(ak, value)))
    return out


class _Unknown:
    pass


_UNKNOWN: Any = _Unknown()


def _evaluate(
    item: MapNode,
    symbols: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    parse: Any,
    expr_cls: Any,
    compile_expr: Any,
) -> tuple[Any, str | None]:
    """(value, None), (_UNKNOWN, None) when a name's type is unknown, or (None, message) on a type error."""
    expr_node = item.get("expr")
    reduce = item.get("reduce")
    if isinstance(expr_node, ScalarNode) and expr_node.value is not None:
        text, reducer = str(expr_node.value), None
    elif isinstance(reduce, MapNode) and isinstance(reduce.get("over"), ScalarNode):
        text, reducer = str(reduce.get("over").value), _text(reduce.get("op"))  # type: ignore[union-attr]
    else:
        return _UNKNOWN, None
    parsed = parse(text)
    if not isinstance(parsed, expr_cls):
        return _UNKNOWN, None  # a syntax error is already a diagnostic
    if any(s not in symbols for s in parsed.symbols) or any(f not in functions for f in parsed.functions):
        return _UNKNOWN, None  # a name without a known type (unread source, unknown field): no hint
    from fasthep_flow.expressions.evaluator import EvalError

    try:
        value = compile_expr(parsed, functions)(symbols)
        if reducer is not None:
            fn = functions.get(reducer)
            if fn is None:
                return _UNKNOWN, None
            value = fn(value)
    except EvalError as exc:
        cause = exc.__cause__ or exc
        if _tracer_limit(cause):
            return _UNKNOWN, None
        return None, _short(cause)
    except (TypeError, ValueError, IndexError, AttributeError, NotImplementedError) as exc:
        return None, _short(exc)
    except Exception:
        log.exception("type inference of %r failed", text)  # an evaluator bug must not remove every hint
        return _UNKNOWN, None
    return value, None


def _tracer_limit(exc: BaseException) -> bool:
    """A function that needs concrete values (it cannot run on a typetracer): no type, but no user error."""
    return isinstance(exc, AssertionError) or "concrete array" in str(exc)


def _short(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    head = lines[0] if lines else type(exc).__name__
    return head if len(head) <= 200 else head[:197] + "..."


def _text(node: Node | None) -> str | None:
    return node.text if isinstance(node, ScalarNode) and node.is_string else None


def _typetracer(ak: Any, typestr: str) -> Any:
    try:
        t = ak.types.from_datashape(typestr, highlevel=False)
        form = ak.forms.from_type(t)
        return ak.Array(form.length_zero_array().to_typetracer(forget_length=True))
    except Exception:
        return None


def _type_string(ak: Any, value: Any) -> str:
    if isinstance(value, ak.Array):
        return str(value.type.content)
    if hasattr(value, "dtype"):
        return str(value.dtype)
    return type(value).__name__


def _globals(workflow: Mapping[str, Any] | None) -> dict[str, Any]:
    analysis = (workflow or {}).get("analysis") or {}
    values = analysis.get("globals") if isinstance(analysis, Mapping) else None
    return {k: v for k, v in (values or {}).items() if isinstance(v, int | float | bool)}


_TABLES: dict[int, tuple[object, dict[str, Callable[..., Any]]]] = {}


def _functions(reg: Registry) -> dict[str, Callable[..., Any]]:
    """The expression function table, imported from the registry's ``impl`` strings (as the runtime does)."""
    hit = _TABLES.get(id(reg))
    if hit is not None and hit[0] is reg:
        return hit[1]
    table: dict[str, Callable[..., Any]] = {}
    for name, spec in reg.functions.items():
        module, _, attr = (spec.impl or "").partition(":")
        try:
            table[name] = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError):
            continue
    if len(_TABLES) >= 8:  # registries of local profiles come and go: keep the table bounded
        _TABLES.clear()
    _TABLES[id(reg)] = (reg, table)
    return table


__all__ = ["InferredType", "InlayHint", "infer_types", "inlay_hints"]

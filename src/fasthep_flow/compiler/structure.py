"""Structural validation: the document against the JSON Schema made from the registry.

jsonschema finds the problems; this module turns each into a Diagnostic on the node it is about, with the
code people search for (unknown stage key, unknown param, wrong type...) and a did-you-mean where a name was
misspelt. Problems other passes explain better (unknown op, unknown source kind) are left to them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from fasthep_flow.compiler.context import Context
from fasthep_flow.document import codes
from fasthep_flow.document.codes import Code
from fasthep_flow.document.diagnostics import Fix
from fasthep_flow.document.node_memo import NodeMemo
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, node_at, to_python

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class _Validators:
    document: jsonschema.protocols.Validator
    """The whole document except the stages (each stage is checked on its own, below)."""
    stage: jsonschema.protocols.Validator
    """One stage, without its per-op `params` branches."""
    params: dict[str, jsonschema.protocols.Validator]
    """Op name -> validator of that op's `params`."""


@lru_cache(maxsize=8)
def _validators_for(registry: object) -> _Validators:
    """The published schema dispatches a stage's params with one `if op == X` per op, which jsonschema tries
    in turn for every stage; validating the params of each stage directly against its op's schema gives the
    same errors at a fraction of the cost (this is the hot path of every keystroke in the editor)."""
    from fasthep_flow.registry.schema import workflow_schema

    schema = copy.deepcopy(workflow_schema(registry))  # type: ignore[arg-type]
    defs = schema.get("$defs", {})
    stage = defs.get("stage", {})
    stage.pop("allOf", None)
    cls = jsonschema.validators.validator_for(schema)
    params = {
        name.removeprefix(_PARAMS_PREFIX): cls({"$defs": defs, "$ref": f"#/$defs/{name}"})
        for name in defs
        if name.startswith(_PARAMS_PREFIX)
    }
    document = dict(schema)
    document["$defs"] = {**defs, "stage": True}
    stages = schema.get("properties", {}).get("analysis", {}).get("properties", {}).get("stages")
    if isinstance(stages, dict):
        stages.pop("items", None)  # each stage is validated on its own (``check_structure``)
    return _Validators(cls(document), cls({"$defs": defs, "$ref": "#/$defs/stage"}), params)


_ERRORS_CACHE: dict[tuple[int, str, str], tuple[object, tuple[ValidationError, ...]]] = {}
"""(id of the validator, what, canonical JSON) -> (the validator itself, its errors). Holding the validator
keeps its id from being reused by another one while the entry lives; the identity is checked on a hit."""
_ERRORS_CACHE_MAX = 8192


def _errors_of(
    validator: jsonschema.protocols.Validator, what: str, instance: Any
) -> tuple[ValidationError, ...]:
    """A stage's (or its params') schema errors, remembered by content.

    Typing in one stage leaves the others' text unchanged, so in the editor all but one stage come from this
    cache. The errors are only read (paths are relative to the stage); positions are found afresh each time.
    """
    try:
        key = (id(validator), what, json.dumps(instance, sort_keys=True, default=repr))
    except (TypeError, ValueError):
        return tuple(validator.iter_errors(instance))
    hit = _ERRORS_CACHE.get(key)
    if hit is not None and hit[0] is validator:
        return hit[1]
    found = tuple(validator.iter_errors(instance))
    if len(_ERRORS_CACHE) >= _ERRORS_CACHE_MAX:
        _ERRORS_CACHE.clear()
    _ERRORS_CACHE[key] = (validator, found)
    return found


_PARAMS_PREFIX = "params.stages."


def _is_stage_path(path: tuple[Any, ...]) -> bool:
    return len(path) == 3 and path[0] == "analysis" and path[1] == "stages" and isinstance(path[2], int)


def _is_params_path(path: tuple[Any, ...]) -> bool:
    return len(path) == 4 and _is_stage_path(path[:3]) and path[3] == "params"


# Places whose values other passes check with better messages (unknown op, unknown source kind, style op).
def _owned_elsewhere(path: tuple[Any, ...]) -> bool:
    if not path:
        return False
    last = path[-1]
    if _is_stage_path(path[:3]) and len(path) >= 4 and path[3] in ("op", "needs", "from", "in"):
        return True
    if len(path) == 3 and path[0] == "sources" and last == "kind":
        return True
    return bool(len(path) == 3 and path[0] == "styles" and last in ("op", "use"))


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The error to explain: for anyOf/oneOf, the branch that got furthest into the value; else the error.

    "Furthest" is the deepest path: `bins: {low, high, nbins: "ten"}` fails the list-of-edges branch at
    `bins` and the regular branch at `bins.nbins`; the second is what the author meant.
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        if all(e.validator == "required" for e in error.context):
            yield error  # "needs one of" is explained as a whole
            return
        # a branch whose shape matches the value (not a "type" mismatch) says what the author meant: a
        # mapping written for the mapping form is explained by that form's missing or unknown keys
        depth = len(error.absolute_path)
        shaped = [
            e for e in error.context if not (e.validator == "type" and len(e.absolute_path) == depth)
        ] or list(error.context)
        deepest = max(shaped, key=lambda e: len(e.absolute_path))
        chosen = deepest if len(deepest.absolute_path) > len(error.absolute_path) else best_match(shaped)
        if chosen is not None:
            yield from _leaves(chosen)
            return
    yield error


_STAGE_PROBLEMS: NodeMemo[tuple[tuple[str, Any, tuple[Any, ...]], ...]] = NodeMemo(8192)
"""Stage node -> what the schema says about it (``_stage_problems``), for the stages an edit left alone."""


def check_structure(ctx: Context) -> None:
    validators = _validators_for(ctx.registry)
    analysis = ctx.root.get("analysis")
    stages_node = analysis.get("stages") if isinstance(analysis, MapNode) else None
    items = stages_node.items if isinstance(stages_node, SeqNode) else None
    # the stages are checked one by one below; the document's schema does not look inside them
    data = _without_stage_items(ctx.root, analysis, stages_node) if items is not None else to_python(ctx.root)
    for top in validators.document.iter_errors(data):
        for err in _leaves(top):
            _explain(ctx, err)
    for i, item in enumerate(items or ()):
        prefix = ("analysis", "stages", i)
        found = _STAGE_PROBLEMS.get(
            (item,), validators, lambda item=item: _stage_problems(ctx, validators, to_python(item))
        )
        for what, value, sub in found:
            if what == "missing-params":
                _explain_missing_params(ctx, prefix, value)
                continue
            for top in value:
                for err in _leaves(top):
                    _explain(ctx, err, (*prefix, *sub))


def _without_stage_items(root: MapNode, analysis: Node | None, stages: Node | None) -> dict[str, Any]:
    """The document as plain data, each stage standing as null (first entry wins, as ``to_python``)."""
    out: dict[str, Any] = {}
    for e in root.entries:
        if e.key.text in out:
            continue
        if e.value is analysis and isinstance(analysis, MapNode):
            section: dict[str, Any] = {}
            for a in analysis.entries:
                if a.key.text not in section:
                    is_stages = a.value is stages and isinstance(stages, SeqNode)
                    section[a.key.text] = [None] * len(stages.items) if is_stages else to_python(a.value)  # type: ignore[union-attr]
            out[e.key.text] = section
        else:
            out[e.key.text] = to_python(e.value)
    return out


def _stage_problems(
    ctx: Context, validators: _Validators, stage: Any
) -> tuple[tuple[str, Any, tuple[Any, ...]], ...]:
    """One stage against its schema and its op's params schema: ("errors", errors, path below the stage)
    and ("missing-params", op) items, in the order they are explained. Depends on the stage alone."""
    out: list[tuple[str, Any, tuple[Any, ...]]] = []
    shell = {k: v for k, v in stage.items() if k != "params"} if isinstance(stage, dict) else stage
    if isinstance(stage, dict) and "params" in stage:
        shell["params"] = {}  # its type is checked here, its content against the op's schema below
        if not isinstance(stage["params"], dict):
            shell["params"] = stage["params"]
    out.append(("errors", _errors_of(validators.stage, "stage", shell), ()))
    if not isinstance(stage, dict) or not isinstance(stage.get("op"), str):
        return tuple(out)
    validator = validators.params.get(stage["op"])
    spec = ctx.registry.stage_op(stage["op"])
    if validator is None or spec is None:
        return tuple(out)  # unknown op: reported (with a did-you-mean) by the stages pass; params unchecked
    if "params" not in stage:
        if spec.required_params:
            out.append(("missing-params", stage["op"], ()))
        return tuple(out)
    if not isinstance(stage["params"], dict):
        return tuple(out)  # reported as a type error above
    out.append(("errors", _errors_of(validator, stage["op"], stage["params"]), ("params",)))
    return tuple(out)


def _params_fix(ctx: Context, stage_path: tuple[Any, ...]) -> Fix | None:
    """ "Add missing required params" for the stage at ``stage_path``, carried by the diagnostic."""
    from fasthep_flow.compiler.param_fixes import missing_params_fix

    node = node_at(ctx.root, stage_path)
    lines = ctx.lines.get(node.span.file) if node is not None else None
    return missing_params_fix(ctx.root, stage_path, ctx.registry, lines)


def _explain_missing_params(ctx: Context, stage_path: tuple[Any, ...], op: str) -> None:
    node = node_at(ctx.root, stage_path)
    span = node.entries[0].key.span if isinstance(node, MapNode) and node.entries else node.span
    ctx.report(
        codes.MISSING_KEY,
        span,
        f"{_where(stage_path)} is missing required key 'params'",
        hint=f"'{op}' has required params; add `params: {{...}}`",
        fix=_params_fix(ctx, stage_path),
    )


def check_params_tree(ctx: Context, op: str, params: MapNode, stage_index: int) -> None:
    """``params`` (a tree standing for the params of stage #``stage_index``, e.g. an inline variation's patch
    merged into them) checked against ``op``'s params schema, each problem reported at the node of ``params``
    it is about, with the words a problem in that stage's params has."""
    validator = _validators_for(ctx.registry).params.get(op)
    if validator is None:
        return
    prefix = ("analysis", "stages", stage_index, "params")
    for top in _errors_of(validator, op, to_python(params)):
        for err in _leaves(top):
            _explain(ctx, err, prefix, params)


def _explain(
    ctx: Context, err: ValidationError, prefix: tuple[Any, ...] = (), params: Node | None = None
) -> None:
    """One schema error in words, at its node: of the document, or of ``params`` standing for the params
    at ``prefix``."""
    path = (*prefix, *err.absolute_path)
    if _owned_elsewhere(path):
        return
    node = node_at(ctx.root, path) if params is None else node_at(params, path[len(prefix) :])
    validator = err.validator
    if validator == "additionalProperties" and isinstance(node, MapNode):
        _unknown_keys(ctx, node, path, err)
    elif validator == "required" and isinstance(node, MapNode):
        missing = [k for k in err.validator_value if k not in node]  # type: ignore[union-attr]
        code = codes.MISSING_PARAM if _is_params_path(path) else codes.MISSING_KEY
        where = _where(path)
        fix = _params_fix(ctx, path[:3]) if code is codes.MISSING_PARAM else None
        for key in missing:
            span = node.entries[0].key.span if node.entries else node.span
            ctx.report(
                code, span, f"{where} is missing required key '{key}'", hint=_required_hint(err, key), fix=fix
            )
    elif validator == "type":
        expected = err.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        key = _key_name(path)
        empty_params = _is_params_path(path) and err.instance is None  # `params:` with nothing under it
        ctx.report(
            codes.PARAM_TYPE,
            node,
            f"{key} must be {want}, not {_describe(err.instance)}",
            hint=_hint_from_schema(err.schema),
            fix=_params_fix(ctx, path[:3]) if empty_params else None,
        )
    elif validator == "enum":
        allowed = list(err.validator_value)  # type: ignore[arg-type]
        key = _key_name(path)
        code = codes.PARAM_VALUE
        if path and path[-1] == "when":
            code = codes.BAD_WHEN
        elif "applies_to" in path:
            code = codes.BAD_APPLIES_TO
        shown = ", ".join(repr(a) if not isinstance(a, str) else a for a in allowed)
        hint = f"allowed: {shown}"
        if isinstance(err.instance, str):
            from fasthep_flow.registry.suggest import suggest

            best = suggest(err.instance, [a for a in allowed if isinstance(a, str)])
            if best:
                hint = f"did you mean '{best}'? (allowed: {shown})"
        ctx.report(code, node, f"{key} has value {err.instance!r}, which is not allowed", hint=hint)
    elif validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minItems", "maxItems"):
        ctx.report(codes.PARAM_VALUE, node, f"{_key_name(path)}: {err.message}")
    elif validator == "pattern":
        ctx.report(
            codes.PARAM_TYPE,
            node,
            f"{_key_name(path)} has value {err.instance!r}, which is not of the expected form",
            hint=_hint_from_schema(err.schema),
        )
    elif validator == "const":
        ctx.report(codes.PARAM_VALUE, node, f"{_key_name(path)} must be {err.validator_value!r}")
    elif validator == "minProperties":
        ctx.report(codes.PARAM_VALUE, node, f"{_key_name(path)} must not be empty")
    elif validator == "propertyNames":
        ctx.report(codes.UNKNOWN_KEY, node, f"{_key_name(path)}: {err.message}")
    elif (
        validator in ("anyOf", "oneOf")
        and err.context
        and all(e.validator == "required" for e in err.context)
    ):
        options = sorted({k for e in err.context for k in e.validator_value})  # type: ignore[union-attr]
        span = node.entries[0].key.span if isinstance(node, MapNode) and node.entries else node.span
        ctx.report(
            codes.MISSING_KEY,
            span,
            f"{_where(path)} needs one of: {', '.join(options)}",
            hint=" or ".join(f"add `{o}: ...`" for o in options),
        )
    elif validator in ("anyOf", "oneOf"):
        ctx.report(
            codes.PARAM_TYPE,
            node,
            f"{_key_name(path)} has an unexpected shape",
            hint=_hint_from_schema(err.schema),
        )
    else:
        ctx.report(codes.PARAM_TYPE, node, f"{_key_name(path)}: {err.message}")


def _unknown_keys(ctx: Context, node: MapNode, path: tuple[Any, ...], err: ValidationError) -> None:
    from fasthep_flow.registry.suggest import suggest

    schema = err.schema if isinstance(err.schema, dict) else {}
    known = list((schema.get("properties") or {}).keys())
    patterns = list((schema.get("patternProperties") or {}).keys())
    if len(path) == 2 and path[0] == "styles" and "op" not in node and "use" not in node:
        return  # a style with no `op`: FF110 says so, and which keys it may have is unknown until it has one
    if not path:
        code, what = codes.UNKNOWN_TOP_KEY, "top-level key"
    elif _is_stage_path(path):
        code, what = codes.UNKNOWN_STAGE_KEY, "stage key"
    elif _is_params_path(path):
        op = _stage_op(ctx, path)
        code, what = codes.UNKNOWN_PARAM, "param"
    else:
        code, what = codes.UNKNOWN_KEY, f"key in {_where(path)}"
    import re

    for entry in node.entries:
        name = entry.key.text
        if name in known or any(re.search(p, name) for p in patterns):
            continue
        best = suggest(name, known)
        from fasthep_flow.document.diagnostics import Edit, Fix

        fix = Fix(f"Rename to '{best}'", (Edit(entry.key.span, best),)) if best else None
        hint = (
            f"did you mean '{best}'?" if best else (f"expected one of: {', '.join(known)}" if known else None)
        )
        suffix = f" of '{op}'" if code is codes.UNKNOWN_PARAM and (op := _stage_op(ctx, path)) else ""
        ctx.report(code, entry.key, f"unknown {what} '{name}'{suffix}", hint=hint, fix=fix)


def _stage_op(ctx: Context, path: tuple[Any, ...]) -> str | None:
    stage = node_at(ctx.root, path[:3])
    if isinstance(stage, MapNode):
        op = stage.get("op")
        if isinstance(op, ScalarNode):
            return op.text
    return None


def _key_name(path: tuple[Any, ...]) -> str:
    if not path:
        return "the document"
    if len(path) > 4 and _is_params_path(path[:4]):
        path = path[4:]  # a param reads best by its own name: `storage`, `axes[0].bins`
    parts: list[str] = []
    for p in path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "`" + "".join(parts) + "`"


def _where(path: tuple[Any, ...]) -> str:
    if len(path) == 2 and path[0] == "styles":
        return f"style '{path[1]}'"
    if _is_stage_path(path):
        return f"stage #{path[2] + 1}"
    if _is_params_path(path):
        return f"params of stage #{path[2] + 1}"
    return _key_name(path)


def _required_hint(err: ValidationError, key: str) -> str | None:
    schema = err.schema if isinstance(err.schema, dict) else {}
    prop = (schema.get("properties") or {}).get(key)
    desc = prop.get("description") if isinstance(prop, dict) else None
    return f"'{key}': {desc}" if desc else None


def _hint_from_schema(schema: object) -> str | None:
    if isinstance(schema, dict):
        desc = schema.get("description")
        if isinstance(desc, str) and desc:
            return desc.split("\n", 1)[0]
    return None


def nodes_of(seq: Node | None) -> list[Node]:
    return list(seq.items) if isinstance(seq, SeqNode) else []


__all__ = ["check_structure", "nodes_of"]
_ = Code

"""Completion: what may be typed at the cursor, each item with the exact range it replaces.

Dispatches on ``locate``: keys come from the language's types (``registry/type_paths.py``: the document's
and the op's params, which the JSON Schema is rendered from);
op names, stage ids, styles, datasets, outputs and profiles from the registry and the symbol index; inside an
expression string, the grammar says whether an operand is wanted and the fields visible to the stage (source
branches, read from the input file's metadata, and columns defined upstream) are offered with functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.symbols import SymbolKind
from fasthep_flow.document.nodes import ScalarNode, SeqNode
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.registry import type_paths
from fasthep_flow.registry.specs import (
    Choice,
    KindGroup,
    OpSpec,
    Param,
    ParamType,
    ScalarType,
    Struct,
)
from fasthep_flow.service import fields as fieldinfo
from fasthep_flow.service import locate as loc

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


class CompletionKind(StrEnum):
    KEY = "key"
    VALUE = "value"
    OP = "op"
    STAGE = "stage"
    FIELD = "field"
    FUNCTION = "function"
    CONSTANT = "constant"
    STYLE = "style"
    OUTPUT = "output"
    DATASET = "dataset"
    PROFILE = "profile"
    WORKFLOW = "workflow"
    FILE = "file"
    SNIPPET = "snippet"


@dataclass(frozen=True)
class Completion:
    label: str
    kind: CompletionKind
    replace: Span
    """The document range the item replaces (the word at the cursor, or an empty range at it)."""
    insert: str | None = None
    """The text inserted (the label when None); snippet syntax (``$1``) when ``snippet``."""
    snippet: bool = False
    detail: str = ""
    documentation: str = ""
    """Markdown."""
    sort: str | None = None

    @property
    def text(self) -> str:
        return self.label if self.insert is None else self.insert


def complete(doc: Document, pos: Pos, ctx: Context) -> list[Completion]:
    w = loc.where(doc, pos, ctx)
    found = loc.classify(w, ctx)
    handler = _HANDLERS.get(type(found))
    if handler is None:
        return []
    items = handler(found, w, ctx)
    prefix = found.prefix if not isinstance(found, loc.InExpression) else ""
    if prefix:
        low = prefix.lower()
        items = [c for c in items if c.label.lower().startswith(low)]
    return items


# --- keys -----------------------------------------------------------------------------------------------------


def _key_insert(name: str, ptype: ParamType, indent: int) -> str:
    """``name: `` for scalars, a new indented block for mappings and lists (snippet syntax)."""
    pad = " " * (indent + 2)
    kind = _shape(ptype)
    if kind == "object":
        return f"{name}:\n{pad}$0"
    if kind == "array":
        return f"{name}:\n{pad}- $0"
    return f"{name}: $0"


def _shape(ptype: ParamType) -> str:
    """``object``/``array`` when every shape ``ptype`` allows is laid out that way, else ``scalar``."""
    shapes = {o.shape for o in type_paths.options(ptype)}
    return shapes.pop() if len(shapes) == 1 else "scalar"


def _schema_keys(found: loc.DocKey, w: loc.Where) -> list[Completion]:
    present = set(w.place.siblings)
    return [
        Completion(
            key.name,
            CompletionKind.KEY,
            found.span,
            insert=_key_insert(key.name, key.param.type, found.place.start),
            snippet=True,
            detail="required" if key.required else "",
            documentation=key.doc,
            sort=("0" if key.required else "1") + key.name,
        )
        for key in found.keys.values()
        if key.name not in present
    ]


def _doc_keys(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.DocKey)
    return _schema_keys(found, w)


def _stage_keys(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.StageKey)
    items = _schema_keys(found, w)
    if found.place.role == "item":  # `- |` starts a new stage: offer a complete stage per op as well
        items.extend(_stage_snippets(found, w))
    return items


def _stage_snippets(found: loc.Located, w: loc.Where) -> list[Completion]:
    if w.registry is None:
        return []
    pad = " " * found.place.start
    out = []
    for name, spec in sorted(w.registry.ops_for(KindGroup.STAGES).items()):
        lines = ["id: ${1:Stage}", f"op: {name}"]
        required = spec.required_params
        if required:
            lines.append("params:")
            for n, p in enumerate(required, start=2):
                lines.append(f"  {p.name}: {_placeholder(p, n)}")
        out.append(
            Completion(
                f"stage: {name}",
                CompletionKind.SNIPPET,
                found.span,
                insert=("\n" + pad).join(lines),
                snippet=True,
                detail=spec.summary,
                documentation=_op_markdown(spec),
                sort="2" + name,
            )
        )
    return out


def _placeholder(p: Param, n: int) -> str:
    if p.allowed:
        return "${%d|%s|}" % (n, ",".join(_yaml(v) for v in p.allowed))  # noqa: UP031 - snippet braces
    if p.has_default:
        return "${%d:%s}" % (n, p.default_display)  # noqa: UP031
    shape = _shape(p.type)
    if shape == "array":
        return f"[${n}]"
    if shape == "object":
        return f"{{${n}}}"
    return f"${n}"


def _yaml(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


def _param_keys(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.ParamKey)
    present = set(w.place.siblings)
    out: dict[str, Completion] = {}
    indent = found.place.start
    for t in found.types:
        if not isinstance(t, Struct):
            continue
        for p in t.params:
            if p.name in out or p.name in present:
                continue
            if p.required:
                insert = f"{p.name}: {_placeholder(p, 1)}"
                if _shape(p.type) != "scalar":
                    insert = _key_insert(p.name, p.type, indent)
            else:
                insert = _key_insert(p.name, p.type, indent)
            out[p.name] = Completion(
                p.name,
                CompletionKind.KEY,
                found.span,
                insert=insert,
                snippet=True,
                detail=(
                    f"{p.type.display}"
                    + (" (required)" if p.required else "")
                    + (f" = {p.default_display}" if p.has_default else "")
                ),
                documentation=_param_markdown(p),
                sort=("0" if p.required else "1") + p.name,
            )
    return list(out.values())


def _param_markdown(p: Param) -> str:
    parts = [f"**{p.name}**: `{p.type.display}`" + (" (required)" if p.required else "")]
    if p.doc:
        parts.append(p.doc)
    if p.has_default or p.default_doc:
        parts.append(f"Default: `{p.default_display}`")
    if p.allowed:
        parts.append("Allowed: " + ", ".join(f"`{_yaml(v)}`" for v in p.allowed))
    return "\n\n".join(parts)


# --- values ---------------------------------------------------------------------------------------------------


def _allowed(found: loc.Located, values: Iterable[tuple[object, str]]) -> list[Completion]:
    out = []
    for i, (value, doc) in enumerate(values):
        text = _yaml(value)
        out.append(Completion(text, CompletionKind.VALUE, found.span, documentation=doc, sort=f"{i:03d}"))
    return out


def _param_values(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.ParamValue)
    p = found.param
    if p is not None and p.allowed:
        docs = p.allowed_docs or ("",) * len(p.allowed)
        return _allowed(found, zip(p.allowed, docs, strict=True))
    values: list[tuple[object, str]] = []
    for t in found.types:
        if isinstance(t, Choice):
            docs = t.docs or ("",) * len(t.values)
            values.extend(zip(t.values, docs, strict=True))
        elif isinstance(t, ScalarType) and t.name == "bool":
            values.extend([(True, ""), (False, "")])
    if p is not None and p.has_default and not values:
        values.append((p.default, "default"))
    seen: set[str] = set()
    unique = [(v, d) for v, d in values if not (_yaml(v) in seen or seen.add(_yaml(v)))]  # type: ignore[func-returns-value]
    return _allowed(found, unique)


def _doc_values(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.DocValue)
    seen: set[str] = set()
    unique = [(v, d) for v, d in found.values if not (_yaml(v) in seen or seen.add(_yaml(v)))]  # type: ignore[func-returns-value]
    return _allowed(found, unique)


def _op_markdown(spec: OpSpec) -> str:
    from fasthep_flow.registry.reference import op_markdown

    return op_markdown(spec)


def _ops(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.OpValue)
    if w.registry is None:
        return []
    return [
        Completion(name, CompletionKind.OP, found.span, detail=spec.summary, documentation=_op_markdown(spec))
        for name, spec in sorted(w.registry.ops_for(found.group).items())
    ]


def _stage_refs(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.StageRef)
    index = w.doc.index(ctx, w.pos)
    own = w.stage_keys.get("id")
    taken = _listed(w)
    downstream = _downstream(index, str(own)) if own else set()
    out = []
    for info in index.stages:
        if info.id == own or info.id in taken or info.id in downstream:
            continue  # depending on a stage that depends on this one would close a cycle (FF302)
        before = info.index < found.stage_index
        out.append(
            Completion(
                info.id,
                CompletionKind.STAGE,
                found.span,
                detail=info.op or "",
                sort=("0" if before else "1") + f"{info.index:05d}",
            )
        )
    path = found.place.path
    is_from = "from" in path or "in" in path or found.place.key in ("from", "in", "node")
    if is_from:
        for d in index.definitions:
            if d.kind is SymbolKind.SOURCE and d.name not in taken:
                out.append(
                    Completion(
                        d.name,
                        CompletionKind.STAGE,
                        found.span,
                        detail=f"source ({d.detail})",
                        sort="2" + d.name,
                    )
                )
    return out


def _downstream(index: Any, stage_id: str) -> set[str]:
    """Stages that depend on ``stage_id`` (data input or ``needs``), transitively."""
    users: dict[str, list[str]] = {}
    for info in index.stages:
        for up in (*info.inputs, *info.needs):
            users.setdefault(up, []).append(info.id)
    out: set[str] = set()
    todo = [stage_id]
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in out:
                out.add(user)
                todo.append(user)
    return out


def _listed(w: loc.Where) -> set[str]:
    """Names already written in the sequence at the cursor (``needs: [A, |]`` leaves out ``A``)."""
    seq = w.place.container
    if w.place.role != "item" or not isinstance(seq, SeqNode):
        return set()
    return {
        item.text
        for k, item in enumerate(seq.items)
        if isinstance(item, ScalarNode) and item.text and k != w.place.index
    }


def _names(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.NameRef)
    kinds = {
        SymbolKind.STYLE: CompletionKind.STYLE,
        SymbolKind.OUTPUT: CompletionKind.OUTPUT,
        SymbolKind.DATASET: CompletionKind.DATASET,
        SymbolKind.PROFILE: CompletionKind.PROFILE,
        SymbolKind.STAGE: CompletionKind.STAGE,  # a workflow's `stages` (every stage id)
        SymbolKind.WORKFLOW: CompletionKind.WORKFLOW,  # a workflow's `extends`
    }
    if found.kind is SymbolKind.PROFILE:
        profiles = getattr(w.registry, "profiles", {}) or {}
        return [
            Completion(name, CompletionKind.PROFILE, found.span, detail=getattr(p, "doc", "").split("\n")[0])
            for name, p in sorted(profiles.items())
        ]
    index = w.doc.index(ctx, w.pos)
    seen: set[str] = set()
    if found.kind is SymbolKind.WORKFLOW and len(found.place.path) >= 2:
        seen.add(str(found.place.path[1]))  # a workflow does not extend itself
    out = []
    for d in index.definitions:
        if d.kind is found.kind and d.name not in seen:
            seen.add(d.name)
            out.append(Completion(d.name, kinds[found.kind], found.span, detail=d.detail))
    return out


def _include_paths(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    base = w.doc.directory
    if base is None:
        return []
    prefix = found.prefix
    folder = base / os.path.dirname(prefix) if os.path.dirname(prefix) else base
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    rel = os.path.dirname(prefix)
    out = []
    for entry in entries:
        name = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_dir() and not entry.name.startswith("."):
            out.append(Completion(name + "/", CompletionKind.FILE, found.span, sort="1" + name))
        elif entry.suffix in (".yaml", ".yml") and entry.resolve() != _resolved(w.doc.path):
            out.append(Completion(name, CompletionKind.FILE, found.span, sort="0" + name))
    return out


def _resolved(path: str) -> object:
    from pathlib import Path

    try:
        return Path(path).resolve()
    except OSError:
        return path


def _branch_names(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    index = w.doc.index(ctx, w.pos)
    taken = _listed(w)
    return [
        Completion(name, CompletionKind.FIELD, found.span, detail=typ)
        for name, typ in sorted(index.branch_types.items())
        if name not in taken
    ]


# --- expressions ----------------------------------------------------------------------------------------------


def _expression(found: loc.Located, w: loc.Where, ctx: Context) -> list[Completion]:
    assert isinstance(found, loc.InExpression)
    from fasthep_flow.expressions import expected_at

    offset = max(0, min(found.offset, len(found.text)))
    if found.kind == "field":
        start = offset
        while start > 0 and (found.text[start - 1].isalnum() or found.text[start - 1] in "_."):
            start -= 1
        prefix, wants_operand, after_dot = found.text[start:offset], True, None
    else:
        cc = expected_at(found.text, offset)
        start, prefix, wants_operand, after_dot = cc.prefix_start, cc.prefix, cc.wants_operand, cc.after_dot
        if not wants_operand and not prefix:
            return []
    end = offset
    while end < len(found.text) and (found.text[end].isalnum() or found.text[end] == "_"):
        end += 1
    head = ""
    if after_dot:
        head = after_dot + "."
        start = max(0, start - len(head))
    replace = found.span_of(start, end)
    index = w.doc.index(ctx, w.pos)
    items: list[Completion] = []
    listed = _listed(w) if found.kind == "field" else set()  # `keep: [A, |]` leaves out `A`
    coll = found.prefix_collection
    for d in fieldinfo.visible_fields(index, found.stage_id, w.doc.path, w.pos, found.step_order):
        name = d.name
        if coll:
            if not name.startswith(coll):
                continue
            name = name[len(coll) :]
        if (head and not name.startswith(head)) or name in listed:
            continue
        if not name.lower().startswith((head + prefix).lower()):
            continue
        items.append(
            Completion(
                name,
                CompletionKind.FIELD,
                replace,
                detail=fieldinfo.describe(d, index),
                documentation=_field_doc(d),
                sort="0" + name,
            )
        )
    if found.kind == "field" or head:
        return items
    from fasthep_flow.compiler.dataflow import CONTEXT_SYMBOLS

    for name, doc in CONTEXT_SYMBOLS.items():
        if name.startswith(prefix) and not any(c.label == name for c in items):
            items.append(
                Completion(
                    name,
                    CompletionKind.CONSTANT,
                    replace,
                    detail="context symbol",
                    documentation=doc,
                    sort="2" + name,
                )
            )
    reg = w.registry
    if reg is not None:
        for name, fn in sorted(reg.functions.items()):
            if name.startswith(prefix):
                items.append(
                    Completion(
                        name,
                        CompletionKind.FUNCTION,
                        replace,
                        insert=f"{name}($0)",
                        snippet=True,
                        detail=fn.display,
                        documentation=fn.doc,
                        sort="1" + name,
                    )
                )
        for name, value in sorted((getattr(reg, "constants", {}) or {}).items()):
            if name.startswith(prefix):
                items.append(
                    Completion(name, CompletionKind.CONSTANT, replace, detail=f"= {value}", sort="3" + name)
                )
    return items


def _field_doc(d: Any) -> str:
    if d.expr is not None:
        return f"```\n{d.expr.text}\n```"
    return ""


_HANDLERS: dict[type, Any] = {
    loc.TopKey: _doc_keys,
    loc.DocKey: _doc_keys,
    loc.StageKey: _stage_keys,
    loc.DocValue: _doc_values,
    loc.OpValue: _ops,
    loc.ParamKey: _param_keys,
    loc.ParamValue: _param_values,
    loc.StageRef: _stage_refs,
    loc.NameRef: _names,
    loc.IncludePath: _include_paths,
    loc.BranchName: _branch_names,
    loc.InExpression: _expression,
}

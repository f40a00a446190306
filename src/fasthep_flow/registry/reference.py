"""Op documentation as Markdown, made from the specs: `fasthep-flow ops NAME`, hover and the reference docs.

A table per op (param, type, default, allowed values, description) and one more per nested mapping
(``axes[]``, ``variations.apply_to``...), so that every key a workflow may write is documented somewhere.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import (
    Choice,
    FunctionSpec,
    ListOf,
    MapOf,
    OneOf,
    OpSpec,
    Param,
    ParamType,
    Struct,
    yaml_literal,
)


def _cell(text: str) -> str:
    """Table cells may not hold a raw ``|`` or a line break."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _allowed(param: Param) -> str:
    t = param.type.item if isinstance(param.type, ListOf) else param.type
    values = param.allowed or (t.values if isinstance(t, Choice) else ())
    return ", ".join(_code(yaml_literal(v)) for v in values)


def _type(t: ParamType) -> str:
    """The display name, with alternatives joined by "or" (a ``|`` would split the table cell)."""
    return _code(t.display.replace(" | ", " or "))


def _description(param: Param) -> str:
    doc = param.doc
    if param.minimum is not None:
        doc += f" Minimum {param.minimum:g}."
    return doc.strip()


def _table(params: tuple[Param, ...]) -> list[str]:
    lines = ["| param | type | default | allowed | description |", "| --- | --- | --- | --- | --- |"]
    for p in params:
        name = f"`{p.name}`" + (" (required)" if p.required else "")
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (name, _type(p.type), _code(p.default_display), _allowed(p), _description(p))
            )
            + " |"
        )
    return lines


def _structs(t: ParamType, path: str) -> list[tuple[str, Struct]]:
    """Every struct reachable inside a param type, with the param path that leads to it."""
    if isinstance(t, Struct):
        found = [(path, t)]
        for p in t.params:
            found.extend(_structs(p.type, f"{path}.{p.name}"))
        return found
    if isinstance(t, ListOf):
        return _structs(t.item, f"{path}[]")
    if isinstance(t, MapOf):
        return _structs(t.value, f"{path}{{}}")
    if isinstance(t, OneOf):
        return [found for option in t.options for found in _structs(option, path)]
    return []


def _ports(ports: tuple) -> str:
    return ", ".join(f"`{p.name}` ({p.kind})" for p in ports)


def op_markdown(spec: OpSpec, heading: str = "##") -> str:
    """The documentation of one op; ``heading`` is the Markdown level of its title (``##`` by default)."""
    lines = [f"{heading} `{spec.name}` ({spec.kind.value})", "", spec.doc.strip(), ""]
    if spec.params:
        lines.extend(_table(spec.params))
        lines.append("")
    else:
        lines.extend(["This op takes no params.", ""])
    seen: set[tuple[str, Struct]] = set()
    for param in spec.params:
        for path, struct in _structs(param.type, param.name):
            if (path, struct) in seen:
                continue
            seen.add((path, struct))
            lines.extend([f"{heading}# `{path}`: `{struct.display}`", "", *_table(struct.params), ""])
    facts = []
    if spec.inputs:
        facts.append(f"**Inputs:** {_ports(spec.inputs)}")
    if spec.outputs:
        facts.append(f"**Outputs:** {_ports(spec.outputs)}")
    if spec.plugin:
        facts.append(f"**Plugin:** `{spec.plugin}`")
    if facts:
        lines.append(" · ".join(facts))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def function_markdown(fn: FunctionSpec) -> str:
    """One expression function: its call signature and what it does (hover inside expressions)."""
    most = "∞" if fn.max_args is None else str(fn.max_args)
    arity = str(fn.min_args) if fn.max_args == fn.min_args else f"{fn.min_args}–{most}"
    return f"`{fn.display}` ({arity} arguments)\n\n{fn.doc}\n"

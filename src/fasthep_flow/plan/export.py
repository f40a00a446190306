"""Ways to show a plan to people and tools: JSON, YAML, Mermaid and Graphviz DOT."""

from __future__ import annotations

import json
import re

import yaml

from fasthep_flow.plan.model import ExecutionPlan, NodeKind

_SHAPES_MERMAID = {
    NodeKind.READ: ("[(", ")]"),
    NodeKind.STAGE: ("[", "]"),
    NodeKind.WRITE: ("[/", "/]"),
    NodeKind.RENDER: ("([", "])"),
    NodeKind.INSPECT: ("{{", "}}"),
}
_SHAPES_DOT = {
    NodeKind.READ: "cylinder",
    NodeKind.STAGE: "box",
    NodeKind.WRITE: "parallelogram",
    NodeKind.RENDER: "ellipse",
    NodeKind.INSPECT: "hexagon",
}


def to_json(plan: ExecutionPlan) -> str:
    data = plan.to_dict()
    data["hash"] = plan.hash
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def to_yaml(plan: ExecutionPlan) -> str:
    data = plan.to_dict()
    data["hash"] = plan.hash
    return yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False)


def _mermaid_id(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(plan: ExecutionPlan) -> str:
    lines = ["flowchart TD"]
    for n in plan.nodes:
        left, right = _SHAPES_MERMAID[n.kind]
        lines.append(
            f'    {_mermaid_id(n.id)}{left}"{_label(n.id)}<br/><small>{_label(n.op)}</small>"{right}'
        )
    for n in plan.nodes:
        for up in n.inputs:
            lines.append(f"    {_mermaid_id(up)} --> {_mermaid_id(n.id)}")
        for up in n.after:
            if up not in n.inputs:
                lines.append(f"    {_mermaid_id(up)} -.-> {_mermaid_id(n.id)}")
    return "\n".join(lines) + "\n"


def to_dot(plan: ExecutionPlan) -> str:
    lines = ["digraph plan {", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    for n in plan.nodes:
        label = f"{n.id}\\n{n.op}".replace('"', '\\"')
        lines.append(f'  "{n.id}" [label="{label}", shape={_SHAPES_DOT[n.kind]}];')
    for n in plan.nodes:
        for up in n.inputs:
            lines.append(f'  "{up}" -> "{n.id}";')
        for up in n.after:
            if up not in n.inputs:
                lines.append(f'  "{up}" -> "{n.id}" [style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"

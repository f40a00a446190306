"""A dataset's ``generator_weight`` names a branch of its source: checked like a field, and read by the plan.

The run sums that branch over every event it reads for the dataset (before any selection) to normalise
simulation in plots, so a misspelt name must be found by ``check``, not after the whole dataset was read.
"""

from __future__ import annotations

from collections.abc import Sequence

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import FlowState
from fasthep_flow.compiler.normalise import DatasetDecl
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode

KEY = "generator_weight"


def _value_node(ctx: Context, dataset: DatasetDecl) -> ScalarNode | None:
    """Where the dataset's generator weight is written: the dataset itself, else ``data.defaults``."""
    nodes: list[Node | None] = [dataset.node]
    data = ctx.root.get("data")
    if isinstance(data, MapNode):
        nodes.append(data.get("defaults"))
    for node in nodes:
        if isinstance(node, MapNode):
            value = node.get(KEY)
            if value is not None:
                return value if isinstance(value, ScalarNode) else None
    return None


def check_generator_weights(
    ctx: Context, datasets: Sequence[DatasetDecl], state: FlowState, primary: str
) -> None:
    """Each ``generator_weight`` is a field of the dataset's source: reported when the source's fields are
    known and it is not one of them, otherwise added to what the plan reads."""
    reported: set[tuple[str, str]] = set()
    for dataset in datasets:
        name = dataset.data.get(KEY)
        if name is None:
            continue
        node = _value_node(ctx, dataset)
        if not isinstance(name, str) or not name.strip():
            if node is not None:
                ctx.report(
                    codes.PARAM_VALUE,
                    node,
                    f"`{KEY}` must name a branch, not '{node.text}'",
                    hint="the branch holding each event's generator weight, e.g. `genWeight`",
                )
            continue
        source = str(dataset.data.get("source") or primary)
        fields = state.sources.get(source)
        if fields is None:
            continue
        if fields.closed and name not in fields.known:
            if node is not None and (source, name) not in reported:
                reported.add((source, name))
                ctx.unknown_name(
                    codes.UNKNOWN_SYMBOL,
                    node,
                    "generator weight branch",
                    sorted(fields.known),
                    extra_hint=f"`{KEY}` names a branch of the dataset's source '{source}'",
                )
            continue
        fields.need(name)

"""The execution plan model and its exports."""

from fasthep_flow.plan.export import to_dot, to_json, to_mermaid, to_yaml
from fasthep_flow.plan.model import (
    DatasetPlan,
    ExecutionPlan,
    NodeKind,
    Origin,
    Partition,
    PlanNode,
    SourcePlan,
)

__all__ = [
    "DatasetPlan",
    "ExecutionPlan",
    "NodeKind",
    "Origin",
    "Partition",
    "PlanNode",
    "SourcePlan",
    "to_dot",
    "to_json",
    "to_mermaid",
    "to_yaml",
]

"""The execution plan model and its exports."""

from fasthep_flow.plan.export import to_dot, to_json, to_mermaid, to_yaml
from fasthep_flow.plan.model import (
    INPUT_NAMES,
    JOIN_KIND,
    DatasetPlan,
    ExecutionPlan,
    NodeKind,
    Origin,
    Partition,
    PlanNode,
    SourcePlan,
    VariationPlan,
    ViewDataset,
    dataset_label,
)
from fasthep_flow.plan.workflows import UnknownWorkflow, select_workflows

__all__ = [
    "INPUT_NAMES",
    "JOIN_KIND",
    "DatasetPlan",
    "ExecutionPlan",
    "NodeKind",
    "Origin",
    "Partition",
    "PlanNode",
    "SourcePlan",
    "UnknownWorkflow",
    "VariationPlan",
    "ViewDataset",
    "dataset_label",
    "select_workflows",
    "to_dot",
    "to_json",
    "to_mermaid",
    "to_yaml",
]

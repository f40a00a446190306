"""JSON Schema (draft 2020-12) of the workflow language, generated from a registry's specs.

One schema serves three users: the compiler validates documents with it (errors mapped back to nodes), editors
without our server (yaml-language-server) get completion and hover from ``markdownDescription``, ``enum`` +
``enumDescriptions``, ``default`` and ``defaultSnippets``, and the committed ``schemas/workflow.schema.json``
documents the language. Per-op params are selected by ``op``/``kind`` with ``if``/``then`` inside ``allOf``.

``python -m fasthep_flow.registry.schema --write`` regenerates the committed file from the built-in ops;
``--check`` exits 1 when it is stale (a test runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.registry.registry import Registry
from fasthep_flow.registry.specs import (
    Choice,
    Const,
    KindGroup,
    ListOf,
    MapOf,
    OneOf,
    OpSpec,
    Param,
    ParamType,
    Struct,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://fasthep-flow.readthedocs.io/en/latest/schemas/workflow.schema.json"
SCHEMA_FILE = ("schemas", "workflow.schema.json")
REFRESH_COMMAND = "python -m fasthep_flow.registry.schema --write"

WHEN_VALUES = ("partition", "dataset", "final", "partition_end", "dataset_end", "run_end")
WHEN_DOCS = (
    "after each partition (dataset × file × chunk of entries)",
    "once per dataset, after its partitions are merged",
    "once, after every dataset is merged",
    "upstream's name for `partition`",
    "upstream's name for `dataset`",
    "upstream's name for `final`",
)
DURATION_PATTERN = r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$"
EXECUTORS = ("serial", "threads", "processes", "dask", "hamilton")
NEVENTS_PATTERN = r"^\s*\d+\s*$"


# --- small builders -----------------------------------------------------------------------------------------


def _doc(schema: dict[str, Any], markdown: str) -> dict[str, Any]:
    schema["markdownDescription"] = markdown
    schema["description"] = markdown.replace("`", "")
    return schema


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _string(markdown: str, **extra: Any) -> dict[str, Any]:
    return _doc({"type": "string", **extra}, markdown)


def _enum(values: Iterable[str], docs: Iterable[str], markdown: str, **extra: Any) -> dict[str, Any]:
    return _doc({"type": "string", "enum": list(values), "enumDescriptions": list(docs), **extra}, markdown)


def _closed(
    properties: Mapping[str, Any], markdown: str, required: Iterable[str] = (), **extra: Any
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties), "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return _doc(schema, markdown)


def _one_or_list(item: dict[str, Any], markdown: str) -> dict[str, Any]:
    """One item or a list of them; ``if``/``else`` (not ``anyOf``) so errors come from the shape written."""
    return _doc({"if": {"type": "array"}, "then": {"items": item}, "else": item}, markdown)


def _string_or_list(markdown: str) -> dict[str, Any]:
    return _one_or_list({"type": "string"}, markdown)


def _params_def(group: KindGroup, name: str) -> str:
    return f"params.{group.value}.{name}"


def _param_properties(spec: OpSpec) -> dict[str, Any]:
    return {p.name: p.json_schema() for p in spec.params}


def _required(spec: OpSpec) -> list[str]:
    return [p.name for p in spec.required_params]


def _op_enum(ops: Mapping[str, OpSpec], markdown: str) -> dict[str, Any]:
    names = sorted(ops)
    return _enum(names, [ops[n].summary for n in names], markdown)


def _if_op(key: str, name: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": [key], "properties": {key: {"const": name}}}, "then": then}


def _flat_then(
    key: str,
    spec: OpSpec,
    extra: Mapping[str, Any],
    required_extra: Iterable[str] = (),
    layout: bool = False,
) -> dict[str, Any]:
    """`{kind: X, ...params}` objects (sources, observers, write attachments): params beside the selector.

    With ``layout`` the required params may come from a named layout (`use:`/`output:`) instead."""
    properties = {key: True, **extra, **_param_properties(spec)}
    then: dict[str, Any] = {"properties": properties, "additionalProperties": False}
    required = [*required_extra, *_required(spec)]
    if required and layout:
        then["anyOf"] = [{"required": required}, {"required": ["use"]}, {"required": ["output"]}]
    elif required:
        then["required"] = required
    return _if_op(key, spec.name, then)


# --- snippets -----------------------------------------------------------------------------------------------


class _Snippet:
    """Builds ``defaultSnippets`` bodies with numbered placeholders for the required params."""

    def __init__(self) -> None:
        self.n = 0

    def placeholder(self, text: str) -> str:
        self.n += 1
        return f"${{{self.n}:{text}}}"

    def value(self, param: Param) -> Any:
        if param.allowed:
            self.n += 1
            return f"${{{self.n}|{','.join(str(v) for v in param.allowed)}|}}"
        return self.of_type(param.type, param.name)

    def of_type(self, t: ParamType, name: str) -> Any:
        if isinstance(t, OneOf):
            return self.of_type(t.options[0], name)
        if isinstance(t, ListOf):
            return [self.of_type(t.item, name)]
        if isinstance(t, MapOf):
            return {self.placeholder("name"): self.of_type(t.value, name)}
        if isinstance(t, Struct):
            return {p.name: self.value(p) for p in t.params if p.required}
        if isinstance(t, Choice):
            self.n += 1
            return f"${{{self.n}|{','.join(t.values)}|}}"
        if isinstance(t, Const):
            return t.value
        return self.placeholder(name)


def _stage_snippet(spec: OpSpec) -> dict[str, Any]:
    s = _Snippet()
    body: dict[str, Any] = {"id": s.placeholder("StageId"), "op": spec.name}
    if spec.required_params:
        body["params"] = {p.name: s.value(p) for p in spec.required_params}
    return {"label": spec.name, "markdownDescription": spec.doc, "body": body}


def _flat_snippet(key: str, spec: OpSpec) -> dict[str, Any]:
    s = _Snippet()
    body: dict[str, Any] = {key: spec.name}
    body.update({p.name: s.value(p) for p in spec.required_params})
    return {"label": spec.name, "markdownDescription": spec.doc, "body": body}


# --- the document -------------------------------------------------------------------------------------------


def _dataset_fields(name_required: bool) -> dict[str, Any]:
    properties = {
        "name": _string("Dataset name, used in plots, tables and `applies_to`."),
        "eventtype": _enum(("data", "mc"), ("recorded collisions", "simulation"), "Kind of events."),
        "files": _string_or_list("Input files (paths relative to the workflow, or URLs)."),
        "nevents": _doc(
            {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": NEVENTS_PATTERN}]},
            'Number of events: an integer or a string of digits (`"2000"`, as upstream writes it).',
        ),
        "tree_primary": _string("Default tree/RNTuple name in this dataset's files."),
        "label": _string("Legend label."),
        "group": _string("Group name used to combine datasets in plots."),
        "cross_section": _doc(
            {"type": "number"},
            "Cross section in pb: plots scale simulation by lumi × cross_section / sum of weights "
            "(upstream spells it `xs`).",
        ),
        "lumi": _doc({"type": "number"}, "Integrated luminosity of a data dataset in fb⁻¹ (for plots)."),
        "sum_weights": _doc(
            {"type": "number"},
            "Sum of generator weights of all generated events (default: measured over the events read; "
            "upstream's `n_unskimmed_events` is read too).",
        ),
        "generator_weight": _string(
            "Branch holding each event's generator weight: the run sums it over every event read, before "
            "selections, to normalise the dataset in plots (without it each event counts 1)."
        ),
    }
    schema = {
        "type": "object",
        "properties": properties,
        "additionalProperties": True,
    }
    if name_required:
        schema["required"] = ["name"]
    return _doc(
        schema,
        "A dataset: its files and metadata. Keys other than the documented ones are kept as metadata."
        if name_required
        else "Values every dataset gets unless it sets them itself.",
    )


def _stage(registry: Registry) -> dict[str, Any]:
    stage_ops = registry.ops_for(KindGroup.STAGES)
    data_input_item = {
        "anyOf": [
            {"type": "string"},
            _closed(
                {
                    "node": _string("A stage or source id."),
                    "port": _string("Which output of that node (`events`, `hist`, `cutflow`...)."),
                    "as": _string("Name of the input inside this stage."),
                },
                "An input port binding.",
                required=("node",),
            ),
        ]
    }
    properties = {
        "id": _string(
            "Unique stage id: named in `needs`/`from`, in node ids `stage.<id>`, in cutflow flags."
        ),
        "op": _op_enum(stage_ops, "The operation (a transform or a sink) this stage runs."),
        "params": _doc({"type": "object"}, "Parameters of the op."),
        "role": _enum(
            ("transform", "sink"),
            ("changes or adds to the stream", "writes the stream out"),
            "What the stage does with its stream (from the op when absent).",
        ),
        "needs": _string_or_list("Stages that must run first (ordering only; `[]` = none)."),
        "from": _one_or_list(data_input_item, "Data input: a stage or source id, or `[{node, port, as}]`."),
        "in": _one_or_list(data_input_item, "Same as `from`."),
        "applies_to": _ref("appliesTo"),
        "execution": _ref("stageExecution"),
        "write": _one_or_list(_ref("writeAttachment"), "Write this stage's stream."),
        "render": _one_or_list(_ref("renderAttachment"), "Render this stage's products with a style."),
        "inspect": _one_or_list(_ref("inspectAttachment"), "Observe this stage's stream."),
        "out": _string("Render stages (`op: hep.render.*`) only: the output file."),
        "when": {
            **_ref("when"),
            "markdownDescription": "Render stages only: when it draws (default `final`).",
        },
        "variations": _doc({"type": "object"}, "Render stages only: one render per variation (upstream)."),
    }
    branches = []
    for name in sorted(stage_ops):
        spec = stage_ops[name]
        then: dict[str, Any] = {"properties": {"params": _ref(_params_def(KindGroup.STAGES, name))}}
        if spec.required_params:
            then["required"] = ["params"]
        branches.append(_if_op("op", name, then))
    schema = _closed(
        properties,
        "One step of the analysis. With no `needs`/`from` it consumes the previous stage's stream.",
        required=("id", "op"),
        allOf=branches,
        defaultSnippets=[_stage_snippet(stage_ops[n]) for n in sorted(stage_ops)],
    )
    return schema


def _params_defs(registry: Registry) -> dict[str, Any]:
    """Stage params by op (``$defs/params.stages.<op>``): stages nest them under ``params``. A render op used
    as a stage (upstream's render stage) takes its style's params plus `style` (a name or an inline style)."""
    defs = {
        _params_def(KindGroup.STAGES, name): _doc(spec.params_struct.json_schema(), spec.doc)
        for name, spec in registry.ops_for(KindGroup.STAGES).items()
    }
    for name, spec in registry.ops_for(KindGroup.RENDERS).items():
        schema = spec.params_struct.json_schema()
        schema.pop("required", None)  # the style may supply them
        schema["properties"]["style"] = {
            "anyOf": [{"type": "string"}, _ref("style")],
            "markdownDescription": "The style drawn with: a name from `styles:` or an inline style.",
        }
        defs[_params_def(KindGroup.STAGES, name)] = _doc(schema, spec.doc)
    return defs


def _style(registry: Registry) -> dict[str, Any]:
    renders = registry.ops_for(KindGroup.RENDERS)
    base = {
        "op": _op_enum(renders, "The render op drawing with this style."),
        "use": _string("Inherit every key of another style."),
        "with": _doc({"type": "object"}, "Keys overriding the inherited style's (with `use`)."),
    }
    branches = [
        _if_op(
            "op",
            name,
            {
                "properties": {**dict.fromkeys(base, True), **_param_properties(spec)},
                "additionalProperties": False,
            },
        )
        for name, spec in sorted(renders.items())
    ]
    branches.append(
        {
            "if": {"not": {"required": ["op"]}},
            "then": {
                "required": ["use"],
                "properties": dict.fromkeys(base, True),
                "additionalProperties": False,
            },
        }
    )
    return _doc(
        {
            "type": "object",
            "properties": base,
            "allOf": branches,
            "defaultSnippets": [_flat_snippet("op", renders[n]) for n in sorted(renders)],
        },
        "How to draw: a render `op` and its options, or `use: <style>` + `with: {...}` to inherit.",
    )


def _keyed(
    group_ops: Mapping[str, OpSpec],
    key: str,
    extra: Mapping[str, Any],
    markdown: str,
    selector_doc: str,
    required_extra: Iterable[str] = (),
) -> dict[str, Any]:
    """An object selecting an op by ``key`` with the op's params beside it (sources, observers, outputs)."""
    properties = {key: _op_enum(group_ops, selector_doc), **extra}
    return _doc(
        {
            "type": "object",
            "required": [key],
            "properties": properties,
            "allOf": [_flat_then(key, group_ops[n], extra, required_extra) for n in sorted(group_ops)],
            "defaultSnippets": [_flat_snippet(key, group_ops[n]) for n in sorted(group_ops)],
        },
        markdown,
    )


def _registry_sections() -> dict[str, Any]:
    """Upstream's `registry:` mapping: `functions`/`constants` map names to "module:object"; op sections map
    names to `{spec, impl}`; the other sections are accepted as free mappings (FF140: not supported yet)."""
    from fasthep_flow.registry.sections import OP_SECTIONS, PENDING_SECTIONS

    ref = _string("`module:object`.", pattern=r"^[\w.]+:[\w.]+$")
    op_entry = _closed(
        {
            "spec": _string("`module:object` of the op's spec.", pattern=r"^[\w.]+:[\w.]+$"),
            "impl": _string("`module:object` of its implementation.", pattern=r"^[\w.]+:[\w.]+$"),
        },
        "An op from Python code.",
        required=("spec",),
    )
    properties: dict[str, Any] = {
        "functions": _doc(
            {"type": "object", "additionalProperties": ref}, "Expression functions: name → `module:object`."
        ),
        "constants": _doc(
            {"type": "object", "additionalProperties": ref},
            "Constants: name → `module:object` of a number (a literal is not accepted).",
        ),
    }
    for section in OP_SECTIONS:
        properties[section] = _doc(
            {"type": "object", "additionalProperties": op_entry}, f"Ops ({section}): name → `{{spec, impl}}`."
        )
    for section in PENDING_SECTIONS:
        properties[section] = _doc({"type": "object"}, f"Upstream `{section}` (not supported yet).")
    return _closed(properties, "Registry sections (upstream's form).")


def _upstream_execution() -> dict[str, Any]:
    """Upstream's execution keys: accepted; only `workers` and `chunk_size`-like keys of ours act today."""
    return {
        "backend": _string("Upstream backend (`local`, `dask`...): not supported yet (FF140)."),
        "strategy": _string("Upstream backend strategy: not supported yet (FF140)."),
        "profiles": _doc({"type": "array", "items": {"type": "string"}}, "Upstream execution profiles."),
        "resources": _doc(
            {"type": "object", "additionalProperties": {"type": "object"}},
            "Resource classes by name (e.g. `{gpu: {gpus: 1}}`), named by stages' `require`/`prefer`.",
        ),
        "pools": _doc(
            {
                "type": "object",
                "additionalProperties": _closed(
                    {
                        "resources": _string("The resource class this pool provides."),
                        "workers": _doc({"type": "integer", "minimum": 1}, "Workers in the pool."),
                        "config": _doc({"type": "object"}, "Backend configuration."),
                    },
                    "A worker pool.",
                    required=("resources",),
                ),
            },
            "Worker pools by name.",
        ),
        "environment": _doc({"type": "object"}, "Worker environment."),
        "staging": _closed(
            {"mode": _enum(("shared", "transfer"), ("shared filesystem", "copy inputs"), "Staging mode.")},
            "Input staging.",
        ),
        "config": _doc({"type": "object"}, "Free backend configuration."),
    }


def _output_layout(sinks: Mapping[str, OpSpec]) -> dict[str, Any]:
    """A named output: a sink `kind` (default `root_tree`) and any of its params; the writer that uses it
    supplies the rest (upstream's layouts are `{tree, keep}`, the writer gives `path`)."""

    def branch(spec: OpSpec) -> dict[str, Any]:
        return {"properties": {"kind": True, **_param_properties(spec)}, "additionalProperties": False}

    branches = [_if_op("kind", n, branch(sinks[n])) for n in sorted(sinks)]
    if "root_tree" in sinks:
        branches.append({"if": {"not": {"required": ["kind"]}}, "then": branch(sinks["root_tree"])})
    return _doc(
        {
            "type": "object",
            "properties": {"kind": _op_enum(sinks, "The sink op (`root_tree` when absent).")},
            "allOf": branches,
            "defaultSnippets": [_flat_snippet("kind", sinks[n]) for n in sorted(sinks)],
        },
        "A named output layout used by writers (`write: {use: <name>}`): a sink kind and its params.",
    )


def workflow_schema(registry: Registry) -> dict[str, Any]:
    """The whole workflow document for the ops of ``registry`` (closed wherever the language is)."""
    when = _enum(WHEN_VALUES, WHEN_DOCS, "When the attachment runs.")
    sinks = registry.sinks()
    observers = registry.ops_for(KindGroup.OBSERVERS)
    sources = registry.ops_for(KindGroup.SOURCES)

    defs: dict[str, Any] = {
        "when": when,
        "dataset": _dataset_fields(name_required=True),
        "datasetDefaults": _dataset_fields(name_required=False),
        "appliesTo": _closed(
            {
                "eventtype": _one_or_list(
                    _enum(("data", "mc"), ("recorded collisions", "simulation"), "Event type."),
                    "Run only on datasets of this event type.",
                ),
                "dataset": _string_or_list("Run only on these datasets (by name)."),
                "datasets": _string_or_list("Same as `dataset`."),
            },
            "Restrict to some datasets: `{eventtype: data|mc}` and/or `{dataset: [names]}`.",
            minProperties=1,
        ),
        "duration": _doc(
            {
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0},
                    {"type": "string", "pattern": DURATION_PATTERN},
                ]
            },
            "Seconds, or a duration such as `500ms`, `30s`, `5m`, `1h`.",
        ),
        "daskCluster": _closed(
            {
                "kind": _enum(
                    ("local", "address", "slurm", "htcondor", "pbs", "lsf"),
                    (
                        "worker processes on this machine",
                        "an existing Dask scheduler (`address`)",
                        "workers submitted as Slurm jobs (dask-jobqueue)",
                        "workers submitted as HTCondor jobs (dask-jobqueue)",
                        "workers submitted as PBS/Torque jobs (dask-jobqueue)",
                        "workers submitted as LSF jobs (dask-jobqueue)",
                    ),
                    "Where the Dask workers come from.",
                    default="local",
                ),
                "jobs": _doc(
                    {"type": "integer", "minimum": 1, "default": 1}, "Batch jobs (one worker each)."
                ),
                "cores": _doc(
                    {"type": "integer", "minimum": 1, "default": 1}, "Cores (worker threads) per job."
                ),
                "memory": _string("Memory per job (`2GB`, `4000MB`).", default="2GB"),
                "adapt": _closed(
                    {
                        "minimum": _doc({"type": "integer", "minimum": 0}, "Fewest jobs kept."),
                        "maximum": _doc({"type": "integer", "minimum": 1}, "Most jobs submitted."),
                    },
                    "Let Dask submit and cancel jobs between these bounds instead of a fixed `jobs`.",
                ),
                "address": _string("For `kind: address`: the scheduler, `tcp://host:8786`."),
                "queue": _string("Batch queue (Slurm partition)."),
                "account": _string("Account/project the jobs are charged to."),
                "walltime": _string("Time limit per job, in the batch system's format (`01:00:00`)."),
                "disk": _string("Disk per job (HTCondor; default `1GB`)."),
                "directives": _doc(
                    {"type": ["string", "array"], "items": {"type": "string"}},
                    "Extra job-script header lines, without the prefix (`--constraint=haswell`).",
                ),
                "log_directory": _string("Folder for the jobs' stdout and stderr."),
                "start_timeout": _doc(
                    {"type": "number", "exclusiveMinimum": 0, "default": 300},
                    "Seconds to wait for the first worker before the run fails.",
                ),
                "options": _doc(
                    {"type": "object"}, "Further keyword arguments of the dask-jobqueue cluster class."
                ),
            },
            "Dask workers on a batch system (Slurm, HTCondor, PBS, LSF), locally, or from a scheduler.",
        ),
        "stageExecution": _closed(
            {
                "require": _doc(
                    {"type": ["string", "array", "object"], "examples": ["gpu", "cpu"]},
                    "The device the stage must run on: `gpu` or `cpu`, or a class of `execution.resources`. "
                    "`gpu` without a CUDA device refuses the run before it starts (FF412).",
                ),
                "prefer": _doc(
                    {"type": ["string", "array", "object"], "examples": ["gpu", "cpu"]},
                    "The device preferred: `gpu` runs on a CUDA device when there is one, else on the CPU "
                    "(FF413, info).",
                ),
                "fallback": _string(
                    "Where a `require`d stage runs when its device is missing (`cpu`).", examples=["cpu"]
                ),
                "timeout": _ref("duration"),
                "retries": _doc({"type": "integer", "minimum": 0}, "Retries of a failed partition."),
                "modifiers": _doc({"type": ["array", "object"]}, "Execution modifiers for this stage."),
            },
            "How this stage runs: requirements, preferences, timeout, retries.",
        ),
        "renderAttachment": _closed(
            {
                "style": _doc(
                    {"anyOf": [{"type": "string"}, _ref("style")]},
                    "A style from `styles:`, or an inline style (`{use: <style>, with: {...}}` or `{op, ...}`).",
                ),
                "when": {**when, "default": "final"},
                "out": _string_or_list(
                    "Output file(s) inside the output directory; the extension sets the format."
                ),
            },
            "Render this stage's products with a style.",
            required=("style",),
        ),
        "writeAttachment": _doc(
            {
                "type": "object",
                "properties": {
                    "kind": _op_enum(sinks, "The sink op writing the stream."),
                    "output": _string("A named output from `outputs:`."),
                    "use": _string("A layout from `outputs:` merged under this entry (upstream's name)."),
                    "when": {**when, "default": "partition"},
                },
                "allOf": [
                    *(
                        _flat_then("kind", sinks[n], {"when": True, "output": True, "use": True}, layout=True)
                        for n in sorted(sinks)
                    ),
                    {
                        "if": {"not": {"required": ["kind"]}},
                        "then": {
                            "anyOf": [{"required": ["output"]}, {"required": ["use"]}],
                            "properties": {"output": True, "use": True, "when": True},
                            "additionalProperties": False,
                        },
                    },
                ],
                "defaultSnippets": [_flat_snippet("kind", sinks[n]) for n in sorted(sinks)],
            },
            "Write this stage's stream: a sink `kind` with its params, or a named `output`.",
        ),
        "inspectAttachment": _keyed(
            observers,
            "kind",
            {"when": {**when, "default": "partition"}},
            "Observe this stage's stream with an observer op.",
            "The observer op.",
        ),
        "source": _keyed(sources, "kind", {}, "A data source read per dataset.", "The source op."),
        "observer": _keyed(
            observers,
            "kind",
            {"at": _string_or_list("Node ids observed: `read.<source>`, `stage.<id>`, `write.<id>.<n>`.")},
            "An observer attached to plan nodes.",
            "The observer op.",
        ),
        "output": _output_layout(sinks),
        "stage": _stage(registry),
        "style": _style(registry),
        "registrySections": _registry_sections(),
        "join": _closed(
            {
                "kind": _enum(("zip",), ("one record per event from equal-length streams",), "Join kind."),
                "inputs": _doc(
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "anyOf": [
                                {"type": "string"},
                                _closed(
                                    {
                                        "source": _string("A source id."),
                                        "prefix": _string("Prefix of its fields (the source id by default)."),
                                    },
                                    "A joined source with its prefix.",
                                    required=("source",),
                                ),
                            ]
                        },
                    },
                    "The sources zipped: ids, or `{source, prefix}`.",
                ),
                "on_mismatch": _string(
                    "What to do when the inputs' lengths differ: `error` (the partition fails)."
                ),
            },
            "A join: one stream zipping several sources, each input's fields under its prefix (`<prefix>.<branch>`).",
            required=("kind", "inputs"),
        ),
        "executionHook": _closed(
            {
                "kind": _string("The hook (`hep.dataset_context`, `hep.error_report`...)."),
                "events": _doc(
                    {"type": "array", "items": {"type": "string"}}, "Lifecycle events it runs on."
                ),
                "params": _doc({"type": "object"}, "Hook params."),
                "match": _doc({"type": "object"}, "Which nodes it applies to."),
            },
            "An execution hook binding (upstream).",
            required=("kind",),
        ),
        "registryLayer": _closed(
            {
                "spec": _string("`module:ATTR` of an OpSpec.", pattern=r"^[\w.]+:[\w.]+$"),
                "impl": _string("`module:callable` of its implementation.", pattern=r"^[\w.]+:[\w.]+$"),
                "name": _string("The op name it provides (overrides the spec's)."),
            },
            "Ops from Python code; imported only when the workspace is trusted.",
            required=("spec",),
        ),
        **_params_defs(registry),
    }

    profile_names = sorted(registry.profiles)
    properties: dict[str, Any] = {
        "version": _doc({"type": ["number", "string"]}, "Language version of the file, e.g. `1.0`."),
        "include": _string_or_list("Files deep-merged under this one (mappings merge, lists concatenate)."),
        "use": _closed(
            {
                "profiles": _one_or_list(
                    {
                        "anyOf": [
                            _enum(
                                profile_names,
                                [registry.profiles[n].doc for n in profile_names],
                                "A built-in profile.",
                            ),
                            _string("A profile file `./path.yaml` or a package profile `pkg:name`."),
                        ]
                    },
                    "Profiles: which ops are available, defaults and presets.",
                )
            },
            "Profiles this workflow uses.",
        ),
        "data": _closed(
            {
                "defaults": _ref("datasetDefaults"),
                "datasets": _doc(
                    {"type": "array", "items": _ref("dataset")}, "The datasets, each with a `name`."
                ),
            },
            "Datasets and their defaults.",
        ),
        "datasets": _doc(
            {
                "anyOf": [
                    {"type": "object", "additionalProperties": _ref("datasetDefaults")},
                    {"type": "array", "items": _ref("dataset")},
                ]
            },
            "Datasets by name, or a list of datasets each with a `name` (the forms of `data.datasets`); "
            "they come before those of `data.datasets`.",
        ),
        "sources": _doc({"type": "object", "additionalProperties": _ref("source")}, "Data sources by name."),
        "joins": _doc(
            {"type": "object", "additionalProperties": _ref("join")},
            "Joins of several sources into one stream, by name (`{kind: zip, inputs: [...]}`).",
        ),
        "primary_stream": _string("The stream (source or join) the first stage reads when it names none."),
        "fields": _doc(
            {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [
                        {"type": "string"},
                        _closed(
                            {
                                "stream": _string("The source or join the branch is read from."),
                                "branch": _string("The branch (a dotted path into a joined record allowed)."),
                            },
                            "Upstream's alias form.",
                            required=("stream", "branch"),
                        ),
                    ]
                },
            },
            "Field aliases: new name → existing field, or `{stream, branch}`.",
        ),
        "styles": _doc({"type": "object", "additionalProperties": _ref("style")}, "Render styles by name."),
        "outputs": _doc({"type": "object", "additionalProperties": _ref("output")}, "Named outputs."),
        "observers": _doc({"type": "array", "items": _ref("observer")}, "Observers attached to plan nodes."),
        "reports": _doc({"type": ["object", "array"]}, "Reports assembled after the run."),
        "analysis": _closed(
            {
                "stages": _doc({"type": "array", "items": _ref("stage")}, "The stages, in order."),
                "globals": _doc(
                    {
                        "type": "object",
                        "additionalProperties": {"type": ["number", "string", "boolean", "array"]},
                    },
                    "Constants usable by name in expressions.",
                ),
            },
            "What the analysis computes.",
        ),
        "workflows": _doc(
            {
                "type": "object",
                "additionalProperties": _closed(
                    {
                        "stages": _string_or_list(
                            "Ids of `analysis.stages` this workflow runs; the stages they need run too."
                        ),
                        "extends": _string_or_list(
                            "Other workflows whose stages this one runs as well (by name)."
                        ),
                        "doc": _string("What the workflow is for (shown on hover)."),
                    },
                    "A named workflow: some of the stages, run on their own with `run --workflow NAME`.",
                    anyOf=[{"required": ["stages"]}, {"required": ["extends"]}],
                ),
            },
            "Several workflows in one configuration, by name: each runs some of `analysis.stages` (and what "
            "they need); stages they share are computed once when they run together.",
        ),
        "systematics": _doc({"type": "object"}, "Systematic variations."),
        "execution": _closed(
            {
                "executor": _enum(
                    EXECUTORS,
                    (
                        "in the calling thread",
                        "a thread pool",
                        "a process pool",
                        "Dask distributed",
                        "an Apache Hamilton driver per partition",
                    ),
                    "Where partitions run.",
                    default="serial",
                ),
                "workers": _doc({"type": "integer", "minimum": 1}, "Number of workers (threads, processes)."),
                "scheduler": _string(
                    "Address of a Dask scheduler (`tcp://host:8786`); a local cluster if absent."
                ),
                "cluster": _ref("daskCluster"),
                "resources": _doc(
                    {
                        "type": "object",
                        "additionalProperties": _doc(
                            {
                                "type": "object",
                                "properties": {
                                    "gpus": _doc(
                                        {"type": ["integer", "string"]},
                                        "GPUs of this class; a class with gpus > 0 places a stage on a GPU.",
                                    )
                                },
                            },
                            "A resource class.",
                        ),
                    },
                    "Resource classes by name (`gpu_nodes: {gpus: 1}`), for stages' `require`/`prefer`/"
                    "`fallback`.",
                ),
                "chunk_size": _doc({"type": "integer", "minimum": 1}, "Entries per partition."),
                "cache": _doc(
                    {"type": ["boolean", "string"]}, "Cache results (`true`, `false` or a folder)."
                ),
                "output_dir": _string("Folder where outputs are written."),
                "retries": _doc({"type": "integer", "minimum": 0}, "Retries of a failed partition."),
                "timeout": _ref("duration"),
                "progress": _doc({"type": "boolean"}, "Show progress."),
                **_upstream_execution(),
            },
            "How the plan runs by default (command-line options override).",
        ),
        "registry": _doc(
            {
                "if": {"type": "array"},
                "then": {"items": _ref("registryLayer")},
                "else": _ref("registrySections"),
            },
            "Extra ops, functions and constants from Python code: upstream's mapping of sections "
            '(`functions: {name: "module:object"}`, `transforms: {name: {spec, impl}}`...) or a list of layers.',
        ),
        "execution_hooks": _doc(
            {"type": "array", "items": _ref("executionHook")},
            "Upstream's execution hooks (`{kind, events, params, match}`): accepted, not supported yet.",
        ),
    }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "FAST-HEP workflow",
        "markdownDescription": "A FAST-HEP workflow: datasets, sources, analysis stages, styles and outputs.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


# --- the committed file -------------------------------------------------------------------------------------


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def committed_path() -> Path | None:
    from fasthep_flow.resources import repo_root

    root = repo_root()
    return root.joinpath(*SCHEMA_FILE) if root is not None else None


def builtin_schema_text() -> str:
    from fasthep_flow.registry.registry import builtin_registry

    return render(workflow_schema(builtin_registry()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fasthep_flow.registry.schema", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write schemas/workflow.schema.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed schema is stale")
    parser.add_argument("--path", type=Path, help="the schema file (default: the source checkout's)")
    args = parser.parse_args(argv)
    text = builtin_schema_text()
    if not (args.write or args.check):
        sys.stdout.write(text)
        return 0
    path = args.path or committed_path()
    if path is None:
        print("no source checkout found; pass --path", file=sys.stderr)
        return 2
    if args.write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current != text:
        print(f"{path} is stale; refresh it with: {REFRESH_COMMAND}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

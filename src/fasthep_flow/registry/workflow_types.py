"""The workflow document's shape, written once as param types: the JSON Schema is rendered from it
(``schema.py``) and the editor walks it (``type_paths.py``), so a language change is made here alone.

An op's params are its spec's ``Struct``; the document around them (datasets, sources, stages, styles,
outputs, execution...) is a tree of the same types. A mapping whose keys depend on one value (a stage's ``op``,
a source's ``kind``) is a ``Selected``; a shape written once under ``$defs`` is a ``Def``; documentation and
snippets ride on ``Extra`` (the walk looks through them); leaves the editor never walks into are ``Raw``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from fasthep_flow.registry.specs import (
    Bool,
    BoolOrStr,
    Branch,
    Choice,
    Const,
    Def,
    Extra,
    IfList,
    Int,
    KindGroup,
    ListOf,
    MapOf,
    Number,
    OneOf,
    OpSpec,
    Param,
    ParamType,
    Raw,
    Selected,
    Str,
    Struct,
    one_or_list,
)

if TYPE_CHECKING:
    from fasthep_flow.registry.registry import Registry

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
MODULE_OBJECT = r"^[\w.]+:[\w.]+$"
PARAMS_PREFIX = "params.stages."


@dataclass(frozen=True)
class WorkflowTypes:
    """The document's root and the named shapes its schema lists under ``$defs`` (in that order)."""

    root: Struct
    defs: tuple[Def, ...]
    doc: str


# --- small builders -----------------------------------------------------------------------------------------


def documented(t: ParamType, markdown: str, **extra: Any) -> Extra:
    return Extra(t, {**extra, "markdownDescription": markdown, "description": markdown.replace("`", "")})


def _p(name: str, t: ParamType, doc: str = "", **kw: Any) -> Param:
    return Param(name, t, doc=doc, **kw)


def _s(name: str, doc: str, **kw: Any) -> Param:
    return Param(name, Str, doc=doc, **kw)


def _raw(name: str, schema: Mapping[str, Any], doc: str) -> Param:
    return Param(name, Raw(schema), doc=doc)


def _object(name: str, doc: str) -> Param:
    """A free mapping (keys not described here)."""
    return _raw(name, {"type": "object"}, doc)


def _choice(values: Iterable[str], docs: Iterable[str]) -> Choice:
    return Choice(tuple(values), tuple(docs))


def _strings(name: str, doc: str) -> Param:
    return Param(name, one_or_list(Str), doc=doc)


def _optional(spec: OpSpec) -> OpSpec:
    """``spec`` with every param optional: where a named style or layout may supply the rest."""
    return replace(spec, params=tuple(replace(p, required=False) for p in spec.params))


def _op_choice(ops: Mapping[str, OpSpec]) -> Choice:
    names = sorted(ops)
    return Choice(tuple(names), tuple(ops[n].summary for n in names))


def _selector(key: str, ops: Mapping[str, OpSpec], doc: str, required: bool = False) -> Param:
    return Param(key, _op_choice(ops), required=required, doc=doc)


EVENTTYPE = _choice(("data", "mc"), ("recorded collisions", "simulation"))


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


def _snippets(key: str, ops: Mapping[str, OpSpec]) -> list[dict[str, Any]]:
    return [_flat_snippet(key, ops[n]) for n in sorted(ops)]


# --- selected mappings --------------------------------------------------------------------------------------


def _flat(
    key: str,
    ops: Mapping[str, OpSpec],
    common: Iterable[Param],
    fallback: Branch | None = None,
    stand_ins: tuple[str, ...] = (),
) -> Selected:
    """`{kind: X, ...params}` (sources, observers, outputs, writers): the op's params beside the selector."""
    branches = tuple((n, Branch(ops[n].params, stand_ins=stand_ins)) for n in sorted(ops))
    return Selected(key, Struct(tuple(common), open=True), branches, fallback)


def _keyed(ops: Mapping[str, OpSpec], extra: Iterable[Param], markdown: str, selector_doc: str) -> Extra:
    """An object selecting an op by `kind` (required) with the op's params beside it."""
    flat = _flat("kind", ops, (_selector("kind", ops, selector_doc, required=True), *extra))
    return documented(flat, markdown, defaultSnippets=_snippets("kind", ops))


# --- the document -------------------------------------------------------------------------------------------


def _dataset_fields(name_required: bool) -> Extra:
    params = (
        _s("name", "Dataset name, used in plots, tables and `applies_to`.", required=name_required),
        _p("eventtype", documented(EVENTTYPE, "Kind of events.")),
        _strings("files", "Input files (paths relative to the workflow, or URLs)."),
        _raw(
            "nevents",
            {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": NEVENTS_PATTERN}]},
            'Number of events: an integer or a string of digits (`"2000"`, as upstream writes it).',
        ),
        _s("tree_primary", "Default tree/RNTuple name in this dataset's files."),
        _s("label", "Legend label."),
        _s("group", "Group name used to combine datasets in plots."),
        _p(
            "cross_section",
            Number,
            "Cross section in pb: plots scale simulation by lumi × cross_section / sum of weights "
            "(upstream spells it `xs`).",
        ),
        _p("lumi", Number, "Integrated luminosity of a data dataset in fb⁻¹ (for plots)."),
        _p(
            "sum_weights",
            Number,
            "Sum of generator weights of all generated events (default: measured over the events read; "
            "upstream's `n_unskimmed_events` is read too).",
        ),
        _s(
            "generator_weight",
            "Branch holding each event's generator weight: the run sums it over every event read, before "
            "selections, to normalise the dataset in plots (without it each event counts 1).",
        ),
    )
    return documented(
        Struct(params, open=True),
        "A dataset: its files and metadata. Keys other than the documented ones are kept as metadata."
        if name_required
        else "Values every dataset gets unless it sets them itself.",
        additionalProperties=True,
    )


def _stage(registry: Registry, defs: Mapping[str, Def]) -> Extra:
    stage_ops = registry.ops_for(KindGroup.STAGES)
    binding = documented(
        Struct(
            (
                _s("node", "A stage or source id.", required=True),
                _s("port", "Which output of that node (`events`, `hist`, `cutflow`...)."),
                _s("as", "Name of the input inside this stage."),
            )
        ),
        "An input port binding.",
    )
    data_input = one_or_list(OneOf(Str, binding))
    common = (
        _s(
            "id",
            "Unique stage id: named in `needs`/`from`, in node ids `stage.<id>`, in cutflow flags.",
            required=True,
        ),
        _selector("op", stage_ops, "The operation (a transform or a sink) this stage runs.", required=True),
        _object("params", "Parameters of the op."),
        _p(
            "role",
            _choice(("transform", "sink"), ("changes or adds to the stream", "writes the stream out")),
            "What the stage does with its stream (from the op when absent).",
        ),
        _strings("needs", "Stages that must run first (ordering only; `[]` = none)."),
        _p("from", data_input, "Data input: a stage or source id, or `[{node, port, as}]`."),
        _p("in", data_input, "Same as `from`."),
        _p("applies_to", defs["appliesTo"]),
        _p("execution", defs["stageExecution"]),
        _p("write", one_or_list(defs["writeAttachment"]), "Write this stage's stream."),
        _p("render", one_or_list(defs["renderAttachment"]), "Render this stage's products with a style."),
        _p("inspect", one_or_list(defs["inspectAttachment"]), "Observe this stage's stream."),
        _s("out", "Render stages (`op: hep.render.*`) only: the output file."),
        _p("when", defs["when"], "Render stages only: when it draws (default `final`)."),
        _object("variations", "Render stages only: one render per variation (upstream)."),
    )
    branches = tuple(
        (
            name,
            Branch(
                (
                    Param(
                        "params",
                        defs[PARAMS_PREFIX + name],
                        required=bool(stage_ops[name].required_params),
                    ),
                )
            ),
        )
        for name in sorted(stage_ops)
    )
    return documented(
        Selected("op", Struct(common), branches, nested=True),
        "One step of the analysis. With no `needs`/`from` it consumes the previous stage's stream.",
        defaultSnippets=[_stage_snippet(stage_ops[n]) for n in sorted(stage_ops)],
    )


def _params_types(registry: Registry, style: Def) -> list[Def]:
    """Stage params by op (``$defs/params.stages.<op>``): stages nest them under ``params``. A render op used
    as a stage (upstream's render stage) takes its style's params plus `style` (a name or an inline style)."""
    out = [
        Def(PARAMS_PREFIX + name, documented(spec.params_struct, spec.doc))
        for name, spec in registry.ops_for(KindGroup.STAGES).items()
    ]
    for name, spec in registry.ops_for(KindGroup.RENDERS).items():
        params = (
            *(replace(p, required=False) for p in spec.params),  # the style may supply them
            _p("style", OneOf(Str, style), "The style drawn with: a name from `styles:` or an inline style."),
        )
        out.append(Def(PARAMS_PREFIX + name, documented(Struct(params), spec.doc)))
    return out


def _style(registry: Registry) -> Extra:
    renders = registry.ops_for(KindGroup.RENDERS)
    common = (
        _selector("op", renders, "The render op drawing with this style."),
        _s("use", "Inherit every key of another style."),
        _object("with", "Keys overriding the inherited style's (with `use`)."),
    )
    optional = {n: _optional(s) for n, s in renders.items()}  # `use` may supply the rest
    return documented(
        _flat("op", optional, common, fallback=Branch(required=("use",))),
        "How to draw: a render `op` and its options, or `use: <style>` + `with: {...}` to inherit.",
        defaultSnippets=_snippets("op", renders),
    )


def _output_layout(sinks: Mapping[str, OpSpec]) -> Extra:
    """A named output: a sink `kind` (default `root_tree`) and any of its params; the writer that uses it
    supplies the rest (upstream's layouts are `{tree, keep}`, the writer gives `path`)."""
    optional = {n: _optional(s) for n, s in sinks.items()}
    fallback = Branch(optional["root_tree"].params) if "root_tree" in optional else None
    return documented(
        _flat(
            "kind", optional, (_selector("kind", sinks, "The sink op (`root_tree` when absent)."),), fallback
        ),
        "A named output layout used by writers (`write: {use: <name>}`): a sink kind and its params.",
        defaultSnippets=_snippets("kind", sinks),
    )


def _write_attachment(sinks: Mapping[str, OpSpec], when: Choice) -> Extra:
    common = (
        _selector("kind", sinks, "The sink op writing the stream."),
        _s("output", "A named output from `outputs:`."),
        _s("use", "A layout from `outputs:` merged under this entry (upstream's name)."),
        _p("when", when, "When the attachment runs.", default="partition"),
    )
    return documented(
        _flat("kind", sinks, common, Branch(any_of=("output", "use")), stand_ins=("use", "output")),
        "Write this stage's stream: a sink `kind` with its params, or a named `output`.",
        defaultSnippets=_snippets("kind", sinks),
    )


def _registry_sections() -> Extra:
    """Upstream's `registry:` mapping: `functions`/`constants` map names to "module:object"; op sections map
    names to `{spec, impl}`; `report_templates` names template files; the other sections are accepted as free
    mappings (FF140: not supported yet)."""
    from fasthep_flow.registry.sections import OP_SECTIONS, PENDING_SECTIONS

    ref = documented(Str, "`module:object`.", pattern=MODULE_OBJECT)
    op_entry = documented(
        Struct(
            (
                _s("spec", "`module:object` of the op's spec.", required=True, pattern=MODULE_OBJECT),
                _s("impl", "`module:object` of its implementation.", pattern=MODULE_OBJECT),
            )
        ),
        "An op from Python code.",
    )
    template_entry = documented(
        Struct(
            (
                _s(
                    "path",
                    "The template file: absolute, or relative to the registering file's folder.",
                    required=True,
                ),
                _s(
                    "source",
                    "The report source it is written for (`provenance`): a report of another is an error.",
                ),
                _p("formats", ListOf(Str), "Output formats it suits (recorded, as upstream does)."),
                _s("description", "What the template shows (recorded)."),
            )
        ),
        "A report template file.",
    )
    params = [
        _p("functions", MapOf(ref), "Expression functions: name → `module:object`."),
        _p(
            "constants",
            MapOf(ref),
            "Constants: name → `module:object` of a number (a literal is not accepted).",
        ),
        *(_p(s, MapOf(op_entry), f"Ops ({s}): name → `{{spec, impl}}`.") for s in OP_SECTIONS),
        _p(
            "report_templates",
            MapOf(template_entry),
            "Report templates by name, for a report's `template:`: name → `{path, source}`.",
        ),
        *(_object(s, f"Upstream `{s}` (not supported yet).") for s in PENDING_SECTIONS),
    ]
    return documented(Struct(tuple(params)), "Registry sections (upstream's form).")


def _upstream_execution() -> tuple[Param, ...]:
    """Upstream's execution keys: accepted; only `workers` and `chunk_size`-like keys of ours act today."""
    pool = documented(
        Struct(
            (
                _s("resources", "The resource class this pool provides.", required=True),
                _p("workers", Int, "Workers in the pool.", minimum=1),
                _object("config", "Backend configuration."),
            )
        ),
        "A worker pool.",
    )
    return (
        _s("backend", "Upstream backend (`local`, `dask`...): not supported yet (FF140)."),
        _s("strategy", "Upstream backend strategy: not supported yet (FF140)."),
        _p("profiles", ListOf(Str), "Upstream execution profiles."),
        _p(
            "resources",
            MapOf(Raw({"type": "object"})),
            "Resource classes by name (e.g. `{gpu: {gpus: 1}}`), named by stages' `require`/`prefer`.",
        ),
        _p("pools", MapOf(pool), "Worker pools by name."),
        _object("environment", "Worker environment."),
        _p(
            "staging",
            Struct(
                (
                    _p(
                        "mode",
                        documented(
                            _choice(("shared", "transfer"), ("shared filesystem", "copy inputs")),
                            "Staging mode.",
                        ),
                    ),
                )
            ),
            "Input staging.",
        ),
        _object("config", "Free backend configuration."),
    )


def _dask_cluster() -> Extra:
    return documented(
        Struct(
            (
                Param(
                    "kind",
                    _choice(
                        ("local", "address", "slurm", "htcondor", "pbs", "lsf"),
                        (
                            "worker processes on this machine",
                            "an existing Dask scheduler (`address`)",
                            "workers submitted as Slurm jobs (dask-jobqueue)",
                            "workers submitted as HTCondor jobs (dask-jobqueue)",
                            "workers submitted as PBS/Torque jobs (dask-jobqueue)",
                            "workers submitted as LSF jobs (dask-jobqueue)",
                        ),
                    ),
                    default="local",
                    doc="Where the Dask workers come from.",
                ),
                _p("jobs", Int, "Batch jobs (one worker each).", minimum=1, default=1),
                _p("cores", Int, "Cores (worker threads) per job.", minimum=1, default=1),
                _s("memory", "Memory per job (`2GB`, `4000MB`).", default="2GB"),
                _p(
                    "adapt",
                    Struct(
                        (
                            _p("minimum", Int, "Fewest jobs kept.", minimum=0),
                            _p("maximum", Int, "Most jobs submitted.", minimum=1),
                        )
                    ),
                    "Let Dask submit and cancel jobs between these bounds instead of a fixed `jobs`.",
                ),
                _s("address", "For `kind: address`: the scheduler, `tcp://host:8786`."),
                _s("queue", "Batch queue (Slurm partition)."),
                _s("account", "Account/project the jobs are charged to."),
                _s("walltime", "Time limit per job, in the batch system's format (`01:00:00`)."),
                _s("disk", "Disk per job (HTCondor; default `1GB`)."),
                _raw(
                    "directives",
                    {"type": ["string", "array"], "items": {"type": "string"}},
                    "Extra job-script header lines, without the prefix (`--constraint=haswell`).",
                ),
                _s("log_directory", "Folder for the jobs' stdout and stderr."),
                _raw(
                    "start_timeout",
                    {"type": "number", "exclusiveMinimum": 0, "default": 300},
                    "Seconds to wait for the first worker before the run fails.",
                ),
                _object("options", "Further keyword arguments of the dask-jobqueue cluster class."),
            )
        ),
        "Dask workers on a batch system (Slurm, HTCondor, PBS, LSF), locally, or from a scheduler.",
    )


def _stage_execution(duration: Def) -> Extra:
    return documented(
        Struct(
            (
                _raw(
                    "require",
                    {"type": ["string", "array", "object"], "examples": ["gpu", "cpu"]},
                    "The device the stage must run on: `gpu` or `cpu`, or a class of `execution.resources`. "
                    "`gpu` without a CUDA device refuses the run before it starts (FF412).",
                ),
                _raw(
                    "prefer",
                    {"type": ["string", "array", "object"], "examples": ["gpu", "cpu"]},
                    "The device preferred: `gpu` runs on a CUDA device when there is one, else on the CPU "
                    "(FF413, info).",
                ),
                _p(
                    "fallback",
                    Extra(Str, {"examples": ["cpu"]}),
                    "Where a `require`d stage runs when its device is missing (`cpu`).",
                ),
                _p("timeout", duration),
                _p("retries", Int, "Retries of a failed partition.", minimum=0),
                _raw("modifiers", {"type": ["array", "object"]}, "Execution modifiers for this stage."),
            )
        ),
        "How this stage runs: requirements, preferences, timeout, retries.",
    )


def _join() -> Extra:
    joined = documented(
        Struct(
            (
                _s("source", "A source id.", required=True),
                _s("prefix", "Prefix of its fields (the source id by default)."),
            )
        ),
        "A joined source with its prefix.",
    )
    return documented(
        Struct(
            (
                _p(
                    "kind",
                    _choice(("zip",), ("one record per event from equal-length streams",)),
                    "Join kind.",
                    required=True,
                ),
                _p(
                    "inputs",
                    ListOf(OneOf(Str, joined)),
                    "The sources zipped: ids, or `{source, prefix}`.",
                    min_items=1,
                    required=True,
                ),
                _s(
                    "on_mismatch",
                    "What to do when the inputs' lengths differ: `error` (the partition fails).",
                ),
            )
        ),
        "A join: one stream zipping several sources, each input's fields under its prefix (`<prefix>.<branch>`).",
    )


def _defs(registry: Registry) -> dict[str, Def]:
    """The named shapes, in the order the schema lists them (later ones refer to earlier ones)."""
    when = documented(_choice(WHEN_VALUES, WHEN_DOCS), "When the attachment runs.")
    when_choice = _choice(WHEN_VALUES, WHEN_DOCS)
    sinks = registry.sinks()
    observers = registry.ops_for(KindGroup.OBSERVERS)
    sources = registry.ops_for(KindGroup.SOURCES)
    defs: dict[str, Def] = {}

    def add(name: str, t: ParamType) -> Def:
        defs[name] = Def(name, t)
        return defs[name]

    add("when", when)
    add("dataset", _dataset_fields(name_required=True))
    add("datasetDefaults", _dataset_fields(name_required=False))
    add(
        "appliesTo",
        documented(
            Struct(
                (
                    _p(
                        "eventtype",
                        one_or_list(documented(EVENTTYPE, "Event type.")),
                        "Run only on datasets of this event type.",
                    ),
                    _strings("dataset", "Run only on these datasets (by name)."),
                    _strings("datasets", "Same as `dataset`."),
                )
            ),
            "Restrict to some datasets: `{eventtype: data|mc}` and/or `{dataset: [names]}`.",
            minProperties=1,
        ),
    )
    duration = add(
        "duration",
        documented(
            Raw(
                {
                    "anyOf": [
                        {"type": "number", "exclusiveMinimum": 0},
                        {"type": "string", "pattern": DURATION_PATTERN},
                    ]
                },
                "duration",
            ),
            "Seconds, or a duration such as `500ms`, `30s`, `5m`, `1h`.",
        ),
    )
    add("daskCluster", _dask_cluster())
    add("stageExecution", _stage_execution(duration))
    style = Def("style", _style(registry))
    add(
        "renderAttachment",
        documented(
            Struct(
                (
                    _p(
                        "style",
                        OneOf(Str, style),
                        "A style from `styles:`, or an inline style (`{use: <style>, with: {...}}` or `{op, ...}`).",
                        required=True,
                    ),
                    _p("when", when_choice, "When the attachment runs.", default="final"),
                    _strings(
                        "out", "Output file(s) inside the output directory; the extension sets the format."
                    ),
                )
            ),
            "Render this stage's products with a style.",
        ),
    )
    add("writeAttachment", _write_attachment(sinks, when_choice))
    add(
        "inspectAttachment",
        _keyed(
            observers,
            (_p("when", when_choice, "When the attachment runs.", default="partition"),),
            "Observe this stage's stream with an observer op.",
            "The observer op.",
        ),
    )
    add("source", _keyed(sources, (), "A data source read per dataset.", "The source op."))
    add(
        "observer",
        _keyed(
            observers,
            (_strings("at", "Node ids observed: `read.<source>`, `stage.<id>`, `write.<id>.<n>`."),),
            "An observer attached to plan nodes.",
            "The observer op.",
        ),
    )
    add("output", _output_layout(sinks))
    params = {d.name: d for d in _params_types(registry, style)}
    add("stage", _stage(registry, {**defs, **params}))
    defs["style"] = style
    add("registrySections", _registry_sections())
    add("join", _join())
    add(
        "executionHook",
        documented(
            Struct(
                (
                    _s("kind", "The hook (`hep.dataset_context`, `hep.error_report`...).", required=True),
                    _p("events", ListOf(Str), "Lifecycle events it runs on."),
                    _object("params", "Hook params."),
                    _object("match", "Which nodes it applies to."),
                )
            ),
            "An execution hook binding (upstream).",
        ),
    )
    add(
        "registryLayer",
        documented(
            Struct(
                (
                    _s("spec", "`module:ATTR` of an OpSpec.", required=True, pattern=MODULE_OBJECT),
                    _s("impl", "`module:callable` of its implementation.", pattern=MODULE_OBJECT),
                    _s("name", "The op name it provides (overrides the spec's)."),
                )
            ),
            "Ops from Python code; imported only when the workspace is trusted.",
        ),
    )
    defs.update(params)
    return defs


def _execution(defs: Mapping[str, Def]) -> Param:
    return _p(
        "execution",
        Struct(
            (
                Param(
                    "executor",
                    _choice(
                        EXECUTORS,
                        (
                            "in the calling thread",
                            "a thread pool",
                            "a process pool",
                            "Dask distributed",
                            "an Apache Hamilton driver per partition",
                        ),
                    ),
                    default="serial",
                    doc="Where partitions run.",
                ),
                _p("workers", Int, "Number of workers (threads, processes).", minimum=1),
                _s(
                    "scheduler", "Address of a Dask scheduler (`tcp://host:8786`); a local cluster if absent."
                ),
                _p("cluster", defs["daskCluster"]),
                _p("chunk_size", Int, "Entries per partition.", minimum=1),
                _p("cache", BoolOrStr, "Cache results (`true`, `false` or a folder)."),
                _s("output_dir", "Folder where outputs are written."),
                _p("retries", Int, "Retries of a failed partition.", minimum=0),
                _p("timeout", defs["duration"]),
                _p("progress", Bool, "Show progress."),
                *_upstream_execution(),
            )
        ),
        "How the plan runs by default (command-line options override).",
    )


def _systematics() -> Param:
    """`systematics:` (LANGUAGE.md §13): every variation runs in the same run as the nominal."""
    applies = documented(
        Struct(
            (
                _strings("eventtypes", "Event types the variation changes (`mc`, `data`)."),
                _strings("eventtype", "Alias of `eventtypes`."),
                _strings("datasets", "Datasets the variation changes, by name."),
                _strings("dataset", "Alias of `datasets`."),
            )
        ),
        "Which datasets the variation changes.",
    )
    variation = documented(
        Struct(
            (
                _s(
                    "name",
                    "The variation's name: its products are written under it (`hists/<name>/<Stage>.json`).",
                    required=True,
                ),
                _p(
                    "mode",
                    _choice(
                        ("plan", "inline"),
                        (
                            "a view of the whole plan (run)",
                            "one stage's params patched: `anchor`, `patch` (run)",
                        ),
                    ),
                    "How the variation is built.",
                    default="plan",
                ),
                _s("group", "A group of variations (`jes` for `jes_up`/`jes_down`): recorded."),
                _s("direction", "`up`, `down`, ...: recorded."),
                _object("metadata", "Free-form metadata: recorded."),
                _p(
                    "applies_to",
                    OneOf(Str, applies),
                    "The datasets the variation changes: an event type (`mc`), or `{eventtypes, datasets}`; "
                    "the other datasets keep their nominal products in it.",
                ),
                _strings("requires", "Plan nodes that must exist (`stage.<id>`, `read.<source>`): checked."),
                _p(
                    "weight",
                    Struct(
                        (
                            _strings(
                                "multiply",
                                "Factors (fields or expressions) every `weight_expr` is multiplied by: "
                                "`(weight_expr) * (factor)`.",
                            ),
                        )
                    ),
                    "A weight variation.",
                ),
                _p(
                    "replace",
                    MapOf(Str),
                    "`field: other field`: every expression and field name the stages read uses the other "
                    "field.",
                ),
                _p(
                    "datasets",
                    Struct(
                        (
                            _p(
                                "replace",
                                MapOf(Str),
                                "`dataset: other dataset`: the other dataset's files are read in its place, "
                                "under its name; the other dataset is not read as itself in the variation.",
                            ),
                        )
                    ),
                    "Dataset replacements.",
                ),
                _s(
                    "anchor",
                    "Inline mode: the stage whose params the variation patches (`<id>` or `stage.<id>`).",
                ),
                _s("stage", "Inline mode: alias of `anchor`."),
                _object(
                    "patch",
                    "Inline mode: params merged into the anchor's (mappings key by key, anything else replaced).",
                ),
                _object("params", "Inline mode: alias of `patch`."),
                _strings(
                    "stop_before",
                    "Inline mode: stages below the anchor that are not copied (they stay nominal).",
                ),
                _object(
                    "export",
                    "Inline mode: fields merged into the nominal stream (upstream): accepted, not run.",
                ),
                _raw(
                    "matrix",
                    {"type": "object", "additionalProperties": {"type": "array"}},
                    "`axis: [values]`: one variation per combination of values, `{axis}` replaced in its "
                    "names, fields and factors.",
                ),
            )
        ),
        "One systematic variation.",
    )
    return _p(
        "systematics",
        Struct(
            (
                _p(
                    "include_nominal",
                    Bool,
                    "Also write the nominal's products, under `nominal/` (the nominal always runs: the "
                    "variations share its unchanged work).",
                    default=False,
                ),
                _p("profiles", ListOf(Str), "Systematics profiles (accepted, not applied)."),
                _p("variations", ListOf(variation), "The variations, each run in the same run."),
            )
        ),
        "Systematic variations: each runs in the same `run` as a view of one plan; the work a variation "
        "does not change is computed once and shared.",
    )


def _root(registry: Registry, defs: Mapping[str, Def]) -> Struct:
    profile_names = sorted(registry.profiles)
    profile = OneOf(
        documented(
            _choice(profile_names, [registry.profiles[n].doc for n in profile_names]), "A built-in profile."
        ),
        documented(Str, "A profile file `./path.yaml` or a package profile `pkg:name`."),
    )
    alias = documented(
        Struct(
            (
                _s("stream", "The source or join the branch is read from.", required=True),
                _s("branch", "The branch (a dotted path into a joined record allowed).", required=True),
            )
        ),
        "Upstream's alias form.",
    )
    workflow = documented(
        Struct(
            (
                _strings(
                    "stages", "Ids of `analysis.stages` this workflow runs; the stages they need run too."
                ),
                _strings("extends", "Other workflows whose stages this one runs as well (by name)."),
                _s("doc", "What the workflow is for (shown on hover)."),
            )
        ),
        "A named workflow: some of the stages, run on their own with `run --workflow NAME`.",
        anyOf=[{"required": ["stages"]}, {"required": ["extends"]}],
    )
    params = (
        _raw("version", {"type": ["number", "string"]}, "Language version of the file, e.g. `1.0`."),
        _strings("include", "Files deep-merged under this one (mappings merge, lists concatenate)."),
        _p(
            "use",
            Struct(
                (
                    _p(
                        "profiles",
                        one_or_list(profile),
                        "Profiles: which ops are available, defaults and presets.",
                    ),
                )
            ),
            "Profiles this workflow uses.",
        ),
        _p(
            "data",
            Struct(
                (
                    _p("defaults", defs["datasetDefaults"]),
                    _p("datasets", ListOf(defs["dataset"]), "The datasets, each with a `name`."),
                )
            ),
            "Datasets and their defaults.",
        ),
        _p(
            "datasets",
            OneOf(MapOf(defs["datasetDefaults"]), ListOf(defs["dataset"])),
            "Datasets by name, or a list of datasets each with a `name` (the forms of `data.datasets`); "
            "they come before those of `data.datasets`.",
        ),
        _p("sources", MapOf(defs["source"]), "Data sources by name."),
        _p(
            "joins",
            MapOf(defs["join"]),
            "Joins of several sources into one stream, by name (`{kind: zip, inputs: [...]}`).",
        ),
        _s("primary_stream", "The stream (source or join) the first stage reads when it names none."),
        _p(
            "fields",
            MapOf(OneOf(Str, alias)),
            "Field aliases: new name → existing field, or `{stream, branch}`.",
        ),
        _p("styles", MapOf(defs["style"]), "Render styles by name."),
        _p("outputs", MapOf(defs["output"]), "Named outputs."),
        _p("observers", ListOf(defs["observer"]), "Observers attached to plan nodes."),
        _raw("reports", {"type": ["object", "array"]}, "Reports assembled after the run."),
        _p(
            "analysis",
            Struct(
                (
                    _p("stages", ListOf(defs["stage"]), "The stages, in order."),
                    _p(
                        "globals",
                        MapOf(Raw({"type": ["number", "string", "boolean", "array"]})),
                        "Constants usable by name in expressions.",
                    ),
                )
            ),
            "What the analysis computes.",
        ),
        _p(
            "workflows",
            MapOf(workflow),
            "Several workflows in one configuration, by name: each runs some of `analysis.stages` (and what "
            "they need); stages they share are computed once when they run together.",
        ),
        _systematics(),
        _execution(defs),
        _p(
            "registry",
            IfList(defs["registryLayer"], defs["registrySections"]),
            "Extra ops, functions and constants from Python code: upstream's mapping of sections "
            '(`functions: {name: "module:object"}`, `transforms: {name: {spec, impl}}`...) or a list of layers.',
        ),
        _p(
            "execution_hooks",
            ListOf(defs["executionHook"]),
            "Upstream's execution hooks (`{kind, events, params, match}`): accepted, not supported yet.",
        ),
    )
    return Struct(params)


def workflow_types(registry: Registry) -> WorkflowTypes:
    """The whole workflow document for the ops of ``registry`` (closed wherever the language is)."""
    defs = _defs(registry)
    return WorkflowTypes(
        _root(registry, defs),
        tuple(defs.values()),
        "A FAST-HEP workflow: datasets, sources, analysis stages, styles and outputs.",
    )

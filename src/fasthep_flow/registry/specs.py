"""Operation and function specs as plain data.

A spec says what an operation accepts (typed params with defaults, allowed values and docs), what it consumes
and produces (ports), and which fields it reads and writes. Because it is data, the JSON Schema, completion,
hover text, the reference docs and "did you mean" hints are all derived from it, and they cannot drift apart.

Param types are values, not classes of values: ``ListOf(Str)`` describes a list of strings; it is never
instantiated to hold one. Each type knows its JSON Schema and a short display name (``list[str]``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fasthep_flow.document.nodes import MapNode, ScalarNode
    from fasthep_flow.registry.dataflow import FlowStep


class _NoDefault:
    """Marks a param without a default (``None`` is a legitimate default: YAML ``null``)."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


class KindGroup(StrEnum):
    """The namespaces op names live in: a source and a sink may share a name (``root_tree``, ``parquet``).

    A stage's ``op:`` resolves among transforms and sinks, ``sources.X.kind`` among sources, a style's ``op``
    among renders and ``observers[].kind`` among observers.
    """

    SOURCES = "sources"
    STAGES = "stages"
    RENDERS = "renders"
    OBSERVERS = "observers"


class OpKind(StrEnum):
    SOURCE = "source"
    TRANSFORM = "transform"
    SINK = "sink"
    RENDER = "render"
    OBSERVER = "observer"

    @property
    def group(self) -> KindGroup:
        return _GROUP_OF[self]


_GROUP_OF = {
    OpKind.SOURCE: KindGroup.SOURCES,
    OpKind.TRANSFORM: KindGroup.STAGES,
    OpKind.SINK: KindGroup.STAGES,
    OpKind.RENDER: KindGroup.RENDERS,
    OpKind.OBSERVER: KindGroup.OBSERVERS,
}


# --- param types --------------------------------------------------------------------------------------------


class ParamType:
    """Base of the param type descriptions; subclasses are frozen dataclasses (hashable, comparable)."""

    @property
    def display(self) -> str:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def shape(self) -> str:
        """``object``, ``array`` or ``scalar``: how a value of this type is laid out in YAML (the editor
        opens a block for the first two)."""
        return "scalar"

    def __str__(self) -> str:
        return self.display


@dataclass(frozen=True)
class ScalarType(ParamType):
    """A leaf type; ``expr`` is parsed by the expression grammar, ``field`` names one field."""

    name: str

    @property
    def display(self) -> str:
        return self.name

    def json_schema(self) -> dict[str, Any]:
        return dict(_SCALAR_SCHEMAS[self.name])


_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    # A YAML author writes `weight_expr: 1` or `expr: 0.5` without quotes; those are still expressions.
    "expr": {"type": ["string", "number", "boolean"]},
    "field": {"type": "string"},
    "dataset": {"type": "string"},
    "bool|str": {"type": ["boolean", "string"]},
    "any": {},
}

Str = ScalarType("str")
Int = ScalarType("int")
Float = ScalarType("float")
Number = ScalarType("number")
Bool = ScalarType("bool")
Expr = ScalarType("expr")
Field = ScalarType("field")
DatasetName = ScalarType("dataset")
"""The name of one of the workflow's datasets (checked against them)."""
AnyType = ScalarType("any")
BoolOrStr = ScalarType("bool|str")
"""A switch or a name (``cache: true`` or ``cache: ./folder``)."""


@dataclass(frozen=True)
class Const(ParamType):
    """Exactly one value, e.g. ``sort: false`` as the alternative to a sort mapping."""

    value: object

    @property
    def display(self) -> str:
        return yaml_literal(self.value)

    def json_schema(self) -> dict[str, Any]:
        return {"const": self.value}


@dataclass(frozen=True)
class Choice(ParamType):
    """A string from a fixed set, where a ``Param`` cannot carry ``allowed`` (items of a list)."""

    values: tuple[str, ...]
    docs: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return "str"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "enum": list(self.values)}
        if self.docs:
            schema["enumDescriptions"] = list(self.docs)
        return schema


@dataclass(frozen=True)
class ListOf(ParamType):
    item: ParamType

    @property
    def display(self) -> str:
        return f"list[{self.item.display}]"

    @property
    def shape(self) -> str:
        return "array"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema()}


@dataclass(frozen=True)
class MapOf(ParamType):
    """A mapping with free string keys (group names, alias names, variation names...)."""

    value: ParamType

    @property
    def display(self) -> str:
        return f"map[str, {self.value.display}]"

    @property
    def shape(self) -> str:
        return "object"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.json_schema()}


@dataclass(frozen=True)
class Struct(ParamType):
    """A mapping with known keys, each a ``Param``; closed unless ``open`` (unknown keys are errors)."""

    params: tuple[Param, ...]
    open: bool = False
    name: str = ""
    """A display name for docs (``axis``); the struct's keys are shown when empty."""

    @property
    def display(self) -> str:
        if self.name:
            return self.name
        return "{" + ", ".join(p.name + ("" if p.required else "?") for p in self.params) + "}"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def shape(self) -> str:
        return "object"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
        }
        required = [p.name for p in self.params if p.required]
        if required:
            schema["required"] = required
        if not self.open:
            schema["additionalProperties"] = False
        return schema


@dataclass(frozen=True)
class OneOf(ParamType):
    """Any of several shapes (``anyOf`` in JSON Schema: shapes may overlap, e.g. a field name is an expr)."""

    options: tuple[ParamType, ...]

    def __init__(self, *options: ParamType) -> None:
        object.__setattr__(self, "options", tuple(options))

    @property
    def display(self) -> str:
        return " | ".join(o.display for o in self.options)

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [o.json_schema() for o in self.options]}


@dataclass(frozen=True)
class Raw(ParamType):
    """A leaf given by its JSON Schema: a shape the editor never walks into (a number or a duration string,
    a free mapping of backend options)."""

    schema: Mapping[str, Any] = field(compare=False)
    name: str = "any"

    @property
    def display(self) -> str:
        return self.name

    @property
    def shape(self) -> str:
        kind = self.schema.get("type")
        return kind if kind in ("object", "array") else "scalar"

    def json_schema(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.schema))


@dataclass(frozen=True)
class Extra(ParamType):
    """``type`` with JSON Schema keywords that say nothing about its keys (documentation, snippets,
    ``minProperties``): the schema carries them, the walk looks through them."""

    type: ParamType
    schema: Mapping[str, Any] = field(compare=False)

    @property
    def display(self) -> str:
        return self.type.display

    @property
    def doc(self) -> str:
        return str(self.schema.get("markdownDescription") or "")

    def json_schema(self) -> dict[str, Any]:
        return {**self.type.json_schema(), **copy.deepcopy(dict(self.schema))}


@dataclass(frozen=True)
class Def(ParamType):
    """A shape written once under the schema's ``$defs`` and referred to by name (a stage, a style)."""

    name: str
    type: ParamType = field(compare=False)

    @property
    def display(self) -> str:
        return self.name

    def json_schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.name}"}


@dataclass(frozen=True)
class IfList(ParamType):
    """A list of ``items`` when the value is a list, else ``otherwise`` (``if``/``else``, not ``anyOf``, so
    errors come from the shape written); ``one_or_list(t)`` is upstream's "one item or a list of them"."""

    items: ParamType
    otherwise: ParamType

    @property
    def display(self) -> str:
        if self.items == self.otherwise:
            return f"{self.items.display} | list[{self.items.display}]"
        return f"list[{self.items.display}] | {self.otherwise.display}"

    def json_schema(self) -> dict[str, Any]:
        return {
            "if": {"type": "array"},
            "then": {"items": self.items.json_schema()},
            "else": self.otherwise.json_schema(),
        }


def one_or_list(item: ParamType) -> IfList:
    return IfList(item, item)


@dataclass(frozen=True)
class Branch:
    """What a ``Selected`` mapping allows for one value of its key (or when the key is absent)."""

    params: tuple[Param, ...] = ()
    required: tuple[str, ...] = ()
    """Keys required besides the params marked required (a style without ``op`` needs ``use``)."""
    stand_ins: tuple[str, ...] = ()
    """Keys any one of which may stand in for the required params (a writer's named layout: ``use``)."""
    any_of: tuple[str, ...] = ()
    """Keys at least one of which must be present (a writer without ``kind`` names an ``output``)."""

    def required_names(self) -> list[str]:
        return [*self.required, *(p.name for p in self.params if p.required)]


@dataclass(frozen=True)
class Selected(ParamType):
    """A mapping whose other keys depend on the value of one of them: a stage's ``op``, a source's ``kind``.

    ``common`` holds the keys every form has (the selector among them). A branch's params sit beside them
    and close the mapping, or with ``nested`` only give a common key its type (a stage's ``params``).
    ``fallback`` applies when the key is absent.
    """

    key: str
    common: Struct
    branches: tuple[tuple[str, Branch], ...]
    fallback: Branch | None = None
    nested: bool = False

    @property
    def display(self) -> str:
        return "{" + self.key + ", ...}"

    def branch(self, name: str) -> Branch | None:
        for n, b in self.branches:
            if n == name:
                return b
        return None

    def _then(self, branch: Branch) -> dict[str, Any]:
        own = {p.name: p.json_schema() for p in branch.params}
        then: dict[str, Any]
        if self.nested:
            then = {"properties": own}
        else:
            then = {
                "properties": {**{p.name: True for p in self.common.params}, **own},
                "additionalProperties": False,
            }
        required = branch.required_names()
        if required and branch.stand_ins:
            then["anyOf"] = [{"required": required}, *({"required": [k]} for k in branch.stand_ins)]
        elif required:
            then["required"] = required
        if branch.any_of:
            then["anyOf"] = [{"required": [k]} for k in branch.any_of]
        return then

    @property
    def shape(self) -> str:
        return "object"

    def json_schema(self) -> dict[str, Any]:
        schema = self.common.json_schema()
        branches = [
            {"if": {"required": [self.key], "properties": {self.key: {"const": n}}}, "then": self._then(b)}
            for n, b in self.branches
        ]
        if self.fallback is not None:
            branches.append({"if": {"not": {"required": [self.key]}}, "then": self._then(self.fallback)})
        schema["allOf"] = branches
        return schema


def yaml_literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {yaml_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_literal(v) for v in value) + "]"
    return str(value)


# --- params, ports, specs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    required: bool = False
    default: object = NO_DEFAULT
    allowed: tuple[object, ...] = ()
    minimum: float | None = None
    doc: str = ""
    allowed_docs: tuple[str, ...] = ()
    """One line per entry of ``allowed`` (becomes ``enumDescriptions`` and the reference docs)."""
    default_doc: str = ""
    """How a default computed at compile time reads in docs, e.g. ``<stage id>`` (``default`` stays unset)."""
    pattern: str | None = None
    """A regular expression a string value must match (a printf format, say): checked with the schema."""
    min_items: int | None = None
    """The fewest items a list value may have."""
    maximum: float | None = None
    """The largest number allowed (a compression level, say)."""
    from_file: bool = False
    """The value may also be the path of a YAML file holding it (``compiler/param_files.py`` inlines it)."""

    def __post_init__(self) -> None:
        if self.allowed_docs and len(self.allowed_docs) != len(self.allowed):
            raise ValueError(f"bug: param {self.name!r}: allowed_docs must match allowed one to one")
        if self.required and self.default is not NO_DEFAULT:
            raise ValueError(f"bug: param {self.name!r} is required and has a default")

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def default_display(self) -> str:
        if self.default_doc:
            return self.default_doc
        return yaml_literal(_plain(self.default)) if self.has_default else ""

    def json_schema(self) -> dict[str, Any]:
        schema = self.type.json_schema()
        if self.allowed:
            schema["enum"] = [_plain(v) for v in self.allowed]
            if self.allowed_docs:
                schema["enumDescriptions"] = list(self.allowed_docs)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.min_items is not None:
            schema["minItems"] = self.min_items
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.has_default:
            schema["default"] = _plain(self.default)
        if self.from_file:
            path = {"type": "string", "description": "the path of a YAML file holding the value"}
            schema = {"anyOf": [schema, path]}
        if self.doc:
            schema["markdownDescription"] = self.doc
            schema["description"] = _plain_text(self.doc)
        return schema


def _plain(value: object) -> object:
    """Tuples and mapping proxies (immutable defaults) as JSON-able lists and dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _plain_text(markdown: str) -> str:
    return markdown.replace("`", "")


@dataclass(frozen=True)
class Port:
    name: str
    kind: str
    """``stream`` | ``histogram`` | ``cutflow`` | ``table`` | ``file``."""


PORT_KINDS = ("stream", "histogram", "cutflow", "table", "file")


@dataclass(frozen=True)
class ParamProblem:
    """A problem in a stage's params that the JSON Schema cannot see; the compiler reports it at ``node``.

    ``warning`` marks a valid form that upstream accepts but computes in a way the author may not expect (a
    weight that is ignored, bins that are ignored): reported as a warning, not an error.
    """

    code: Any
    node: Any
    message: str
    hint: str | None = None
    warning: bool = False


@dataclass(frozen=True)
class OpSpec:
    name: str
    kind: OpKind
    doc: str
    params: tuple[Param, ...] = ()
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    reads: tuple[str, ...] = ()
    """Param paths holding expressions or field names that are read: ``axes[].source``, ``weight_expr``,
    ``variations.weights{}`` (``[]`` = every list item, ``{}`` = every mapping value)."""
    writes: tuple[str, ...] = ()
    """Param paths holding the names of fields written: ``variables[].name``, ``output``."""
    dataflow: Callable[[MapNode | None, str], list[FlowStep]] | None = field(default=None, compare=False)
    """For ops whose reads and writes the paths cannot describe (see ``registry/dataflow.py``)."""
    problems: Callable[[MapNode], list[ParamProblem]] | None = field(default=None, compare=False)
    """Checks of the params beyond their types (pure, over the params' nodes); each result is an error unless
    its ``warning`` flag is set (see ``ParamProblem``)."""
    expand: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)
    """Compile-time expansion of the plain params before they go into the plan (upstream's `matrix`)."""
    impl: str | None = None
    """``module:callable`` of the implementation, imported only by the runtime."""
    plugin: str = ""
    leads_stream: bool = True
    """Whether a later stage without `needs`/`from` reads this stage's stream. ``hep.hist`` passes its input
    through but, as upstream, is not a stream producer for implicit wiring (LANGUAGE.md §8.2)."""
    pending: str = ""
    """Set when the op is accepted for upstream compatibility but has no effect yet: why (FF140 at check)."""
    streams: bool = False
    """The op reads several streams of the same partition: every `from` entry is bound under its `as` name
    (the entry's node when it has none), in order, and its implementation takes a mapping of them,
    ``run(streams: Mapping[str, Events], params, ctx)`` (``hep.merge_fields``, ``hep.zip_join``)."""
    once: bool = False
    """The op runs once per run, after the partitions, on no event stream (``curator.root_tree_schema``): it
    reads files itself, or the products of the once-stages its `from` entries bind under their `as` names;
    its implementation is ``run(inputs: Mapping[str, Any], params, ctx) -> Mapping[str, Any]`` (named
    products). It is not a stream producer (``leads_stream`` is ignored)."""
    any_inputs: bool = False
    """A ``once`` op taking the products of any number of once stages under any `as` names (a report over
    every comparison bound); otherwise its input ports name exactly the inputs it needs."""
    input_problems: Callable[[MapNode | None, tuple[str, ...]], list[ParamProblem]] | None = field(
        default=None, compare=False
    )
    """For a ``streams`` op: checks of the params against the names its inputs are bound under (a
    ``hep.zip_join`` input naming no bound stream)."""
    stream_prefixes: Callable[[MapNode | None], list[tuple[str, ScalarNode]]] | None = field(
        default=None, compare=False
    )
    """For a ``streams`` op whose output holds only its inputs' fields under prefixes (``hep.zip_join``):
    (input name, prefix scalar) pairs. The compiler defines ``<prefix>.<field>`` for every field visible at
    that input, and nothing read before the stage is visible after it."""

    def __post_init__(self) -> None:
        for port in (*self.inputs, *self.outputs):
            if port.kind not in PORT_KINDS:
                raise ValueError(f"bug: op {self.name!r}: port {port.name!r} has unknown kind {port.kind!r}")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"bug: op {self.name!r} declares a param twice")

    @property
    def group(self) -> KindGroup:
        return self.kind.group

    @property
    def summary(self) -> str:
        """The first sentence-line of ``doc`` (completion detail, enum descriptions)."""
        return self.doc.strip().split("\n", 1)[0]

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def params_struct(self) -> Struct:
        return Struct(self.params)

    @property
    def required_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.required)


@dataclass(frozen=True)
class FunctionSpec:
    """A function callable inside expressions; the expression checker uses ``min_args``/``max_args``."""

    name: str
    min_args: int
    max_args: int | None
    doc: str
    impl: str
    signature: str = ""
    """How it is called, for hover and docs: ``leading(x, default=None)``."""

    @property
    def display(self) -> str:
        return self.signature or f"{self.name}(...)"


@dataclass(frozen=True)
class Profile:
    """A named bundle: which plugins' ops are visible, document defaults, observer presets, registry layers.

    ``defaults`` is a document fragment the compiler merges *under* the workflow (the workflow wins, as with
    ``include:``); ``observers`` are entries appended to the workflow's ``observers:`` (an entry without
    ``at`` observes every source read).
    """

    name: str
    doc: str = ""
    plugins: tuple[str, ...] | None = None
    """Names of the plugins whose ops and functions are visible; None = every installed plugin."""
    defaults: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    observers: tuple[Mapping[str, object], ...] = field(default=(), compare=False)
    origin: str = "builtin"
    """Where it was defined: ``builtin``, a plugin name, ``pkg:name`` or a file path."""


@dataclass(frozen=True)
class Plugin:
    """What one plugin contributes; ``ops/<pkg>/__init__.py`` defines ``PLUGIN`` without heavy imports."""

    name: str
    ops: tuple[OpSpec, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()
    constants: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    profiles: tuple[Profile, ...] = ()
    doc: str = ""

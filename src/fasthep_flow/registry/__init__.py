"""The registry: op specs as data, expression functions, profiles, plugins, trust and the JSON Schema.

``load_registry(root, workflow_dir, trust)`` gives the registry one workflow compiles against. The JSON
Schema (``registry.schema``) and the Markdown reference (``registry.reference``) are imported on demand.
"""

from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, flow_of
from fasthep_flow.registry.plugins import PluginProblem
from fasthep_flow.registry.registry import (
    Registry,
    RegistryLayer,
    UntrustedCode,
    builtin_registry,
    default_registry,
    load_registry,
)
from fasthep_flow.registry.specs import (
    NO_DEFAULT,
    AnyType,
    Bool,
    Choice,
    Const,
    Expr,
    Field,
    Float,
    FunctionSpec,
    Int,
    KindGroup,
    ListOf,
    MapOf,
    Number,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    ParamType,
    Plugin,
    Port,
    Profile,
    Str,
    Struct,
)
from fasthep_flow.registry.suggest import suggest

__all__ = [
    "NO_DEFAULT",
    "AnyType",
    "Bool",
    "Choice",
    "Const",
    "Expr",
    "ExprUse",
    "Field",
    "FieldDef",
    "Float",
    "FlowStep",
    "FunctionSpec",
    "Int",
    "KindGroup",
    "ListOf",
    "MapOf",
    "Number",
    "OneOf",
    "OpKind",
    "OpSpec",
    "Param",
    "ParamType",
    "Plugin",
    "PluginProblem",
    "Port",
    "Profile",
    "Registry",
    "RegistryLayer",
    "Str",
    "Struct",
    "UntrustedCode",
    "builtin_registry",
    "default_registry",
    "flow_of",
    "load_registry",
    "suggest",
]

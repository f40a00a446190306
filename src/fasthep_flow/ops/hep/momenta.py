"""Shared spec pieces of the four-vector ops: which fields make a collection's four-momentum, what can be read off.

Spec-side only (no awkward/vector import): ``hep.four_vectors`` and ``hep.combinations`` use the same
``inputs``/``outputs`` params, so completion, schema and docs describe them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import entries, get
from fasthep_flow.registry.specs import Choice, ListOf, MapOf, Param, ParamProblem, Str

DEFAULT_INPUTS: Mapping[str, str] = MappingProxyType({"pt": "pt", "eta": "eta", "phi": "phi", "mass": "mass"})
"""vector coordinate → field of the collection (relative name): NanoAOD's ``Jet_pt``, ``Jet_eta``, …"""

COORDINATES = ("pt", "eta", "phi", "mass", "px", "py", "pz", "E", "energy", "rho", "theta", "M")
"""Coordinate names vector accepts when it builds a four-vector (any complete set of four of them)."""

QUANTITIES = ("pt", "eta", "phi", "mass", "px", "py", "pz", "E", "p", "rapidity", "Et", "mt")
QUANTITY_DOCS = (
    "transverse momentum",
    "pseudorapidity",
    "azimuth",
    "invariant mass",
    "x momentum",
    "y momentum",
    "z momentum",
    "energy",
    "momentum magnitude",
    "rapidity",
    "transverse energy",
    "transverse mass",
)
DEFAULT_OUTPUTS = ("pt", "eta", "phi", "mass")

INPUTS = Param(
    "inputs",
    MapOf(Str),
    default=DEFAULT_INPUTS,
    doc="Four-momentum coordinates → fields of the collection (relative names), e.g. "
    "`{px: Px, py: Py, pz: Pz, E: E}`; any four vector accepts: "
    + ", ".join(f"`{c}`" for c in COORDINATES)
    + ".",
)
OUTPUTS_DOC = "Quantities written as `<output>_<quantity>`."

# A four-vector is an azimuthal pair, one longitudinal and one temporal coordinate (vector's own rule).
AZIMUTHAL = ({"px", "py"}, {"pt", "phi"}, {"rho", "phi"})
LONGITUDINAL = {"pz", "eta", "theta"}
TEMPORAL = {"E", "energy", "mass", "M"}


def inputs_problems(params: MapNode) -> list[ParamProblem]:
    """`inputs` keys must be coordinates, and the four of them a set vector builds a four-vector from: the run
    would stop on the first partition otherwise."""
    node = get(params, "inputs")
    if not isinstance(node, MapNode):
        return []
    out: list[ParamProblem] = []
    keys = [k for k, _ in entries(node)]
    for key in keys:
        if key.text not in COORDINATES:
            out.append(
                ParamProblem(
                    codes.PARAM_VALUE,
                    key,
                    f"`inputs` has value {key.text!r}, which is not allowed",
                    hint="a four-momentum coordinate: " + ", ".join(f"`{c}`" for c in COORDINATES),
                )
            )
    if out:
        return out
    names = {k.text for k in keys}
    complete = (
        len(names) == 4
        and any(pair <= names for pair in AZIMUTHAL)
        and len(names & LONGITUDINAL) == 1
        and len(names & TEMPORAL) == 1
    )
    if not complete:
        out.append(
            ParamProblem(
                codes.PARAM_VALUE,
                node,
                f"`inputs`: {sorted(names)} do not make a four-vector",
                hint="give four coordinates: `px, py` or `pt, phi`; one of `pz, eta, theta`; one of `E, mass`",
            )
        )
    return out


def outputs_param(default: tuple[str, ...]) -> Param:
    """The ``outputs`` param: a list of quantities, each value documented for completion."""
    return Param("outputs", ListOf(Choice(QUANTITIES, QUANTITY_DOCS)), default=default, doc=OUTPUTS_DOC)

"""Shared spec pieces of the four-vector ops: which fields make a collection's four-momentum, what can be read off.

Spec-side only (no awkward/vector import): ``hep.four_vectors`` and ``hep.combinations`` use the same
``inputs``/``outputs`` params, so completion, schema and docs describe them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fasthep_flow.registry.specs import Choice, ListOf, MapOf, Param, Str

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


def outputs_param(default: tuple[str, ...]) -> Param:
    """The ``outputs`` param: a list of quantities, each value documented for completion."""
    return Param("outputs", ListOf(Choice(QUANTITIES, QUANTITY_DOCS)), default=default, doc=OUTPUTS_DOC)

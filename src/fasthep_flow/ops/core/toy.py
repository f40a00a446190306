"""`toy`: a seeded generator of Zmumu-like events, so a fresh machine can run a workflow with no data file.

The spec sits on top; the generator (added below by the runtime work) imports NumPy/awkward inside functions.
"""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import FieldDef, FlowStep, implicit_scalar
from fasthep_flow.registry.specs import Int, OpKind, OpSpec, Param, Port

TOY_FIELDS: dict[str, str] = {
    "NMuon": "number of muons in the event (int)",
    "Muon_Px": "muon momentum x component [GeV] (jagged float)",
    "Muon_Py": "muon momentum y component [GeV] (jagged float)",
    "Muon_Pz": "muon momentum z component [GeV] (jagged float)",
    "Muon_E": "muon energy [GeV] (jagged float)",
    "Muon_Charge": "muon charge, -1 or +1 (jagged int)",
    "Muon_Iso": "muon isolation energy [GeV] (jagged float)",
    "triggerIsoMu24": "isolated single-muon trigger fired (bool)",
    "NJet": "number of jets in the event (int)",
    "Jet_Px": "jet momentum x component [GeV] (jagged float)",
    "Jet_Py": "jet momentum y component [GeV] (jagged float)",
    "Jet_Pz": "jet momentum z component [GeV] (jagged float)",
    "Jet_E": "jet energy [GeV] (jagged float)",
    "Jet_btag": "jet b-tagging discriminant in [0, 1] (jagged float)",
    "MET_px": "missing transverse momentum x component [GeV] (float)",
    "MET_py": "missing transverse momentum y component [GeV] (float)",
    "EventWeight": "per-event weight (float)",
}
"""The fields every toy event has: the generator must produce exactly these (a test holds both to it)."""


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """A toy source defines its fixed schema; the names sit on the source (the compiler passes an anchor)."""
    return [
        FlowStep(
            defines=tuple(
                FieldDef(
                    name, implicit_scalar(name, None), doc=f"toy source `{stage_id}`: {doc}", implicit=True
                )
                for name, doc in TOY_FIELDS.items()
            )
        )
    ]


SPEC = OpSpec(
    "toy",
    OpKind.SOURCE,
    doc="Deterministic Zmumu-like events made from a seed: no input file needed. "
    "Fields: " + ", ".join(f"`{n}`" for n in TOY_FIELDS) + ".",
    params=(
        Param("nevents", Int, default=10000, minimum=0, doc="Number of events generated per dataset."),
        Param("seed", Int, default=0, doc="Random seed; the same seed gives the same events."),
    ),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.core.toy_impl:read",
    plugin="core",
)

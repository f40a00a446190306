"""The HEP plugin: ROOT I/O, derived fields, selections, histograms; and the `hep`/`hep_debug` profiles.

Only specs are imported here; implementations import uproot/awkward/hist inside functions.
"""

from types import MappingProxyType

from fasthep_flow.ops.hep import (
    align_schema,
    build_pairs,
    choose,
    clean,
    combinations,
    cutflow,
    define,
    di_object_mass,
    flag,
    four_vectors,
    hist,
    lepton_met,
    match_l1t_jets,
    merge_fields,
    observers,
    pick,
    project_fields,
    recoil,
    root_tree,
    select_objects,
    tree_schema,
    vary,
    weights,
    zip_join,
)
from fasthep_flow.registry.specs import Plugin, Profile

_HEP_PLUGINS = ("core", "hep", "render")
_HEP_DEFAULTS = MappingProxyType({"data": {"defaults": {"eventtype": "mc"}}})

PROFILES = (
    Profile(
        "hep",
        doc="HEP analyses: the core, hep and render plugins; datasets default to `eventtype: mc`.",
        plugins=_HEP_PLUGINS,
        defaults=_HEP_DEFAULTS,
        origin="hep",
    ),
    Profile(
        "hep_debug",
        doc="`hep` plus a schema snapshot of every source read at the first partition.",
        plugins=_HEP_PLUGINS,
        defaults=_HEP_DEFAULTS,
        observers=(MappingProxyType({"kind": "hep.schema_snapshot", "mode": "first_partition"}),),
        origin="hep",
    ),
)

PLUGIN = Plugin(
    "hep",
    ops=(
        root_tree.SOURCE_SPEC,
        root_tree.SINK_SPEC,
        define.SPEC,
        cutflow.SPEC,
        flag.SPEC,
        hist.SPEC,
        di_object_mass.SPEC,
        select_objects.SPEC,
        project_fields.SPEC,
        merge_fields.SPEC,
        zip_join.SPEC,
        tree_schema.ROOT_TREE_SCHEMA,
        tree_schema.COMPARE_SCHEMAS,
        choose.SPEC,
        align_schema.SPEC,
        match_l1t_jets.SPEC,
        clean.SPEC,
        build_pairs.SPEC,
        lepton_met.SPEC,
        recoil.SPEC,
        weights.LOOKUP_CSV,
        weights.PDF_ENVELOPE,
        four_vectors.SPEC,
        combinations.SPEC,
        pick.SPEC,
        vary.SPEC,
        observers.SCHEMA_SNAPSHOT,
        observers.BRANCHES,
    ),
    profiles=PROFILES,
    doc="High-energy-physics ops on ROOT files with awkward arrays and hist.",
)

__all__ = ["PLUGIN", "PROFILES"]

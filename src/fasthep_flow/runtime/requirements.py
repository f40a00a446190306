"""Which optional packages a plan needs, checked before anything runs.

The plain install is enough to check and compile; running needs the extras. Finding that out from a
ModuleNotFoundError half-way through the first partition is a poor way to learn it, so the run starts by
looking (without importing) for every package the plan's ops, attachments and executor will use.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from fasthep_flow.plan import ExecutionPlan, NodeKind

ALWAYS = ("numpy", "awkward")
BY_OP_PREFIX = {
    "root_tree": ("uproot",),
    "parquet": ("pyarrow",),
    "hep.hist": ("hist",),
    "cms.match_l1t_jets": ("vector",),
    "hep.clean": ("vector",),
    "hep.build_pairs": ("vector",),
    "hep.build_lepton_met_candidate": ("vector",),
    "hep.build_recoil": ("vector",),
}
EXTRA_OF = {
    "numpy": "hep",
    "awkward": "hep",
    "uproot": "hep",
    "hist": "hep",
    "pyarrow": "hep",
    "vector": "hep",
    "matplotlib": "render",
    "mplhep": "render",
    "distributed": "dask",
    "dask": "dask",
    "dask_jobqueue": "dask",
    "hamilton": "hamilton",
}


def needed_packages(plan: ExecutionPlan, executor: str, cluster: str | None = None) -> list[str]:
    """The importable packages a run of ``plan`` needs; ``cluster`` is the Dask cluster kind, if any."""
    needed = list(ALWAYS)
    ops = [s.kind for s in plan.sources] + [n.op for n in plan.nodes]
    for op in ops:
        needed.extend(BY_OP_PREFIX.get(op, ()))
    if any(n.kind is NodeKind.RENDER and n.op != "hep.render.cutflow_csv" for n in plan.nodes):
        needed.extend(("matplotlib", "mplhep"))
    if executor == "dask":
        needed.extend(("dask", "distributed"))
        if cluster in ("slurm", "htcondor", "pbs", "lsf"):
            needed.append("dask_jobqueue")
    if executor == "hamilton":
        needed.append("hamilton")
    return list(dict.fromkeys(needed))


def missing(packages: Iterable[str]) -> list[str]:
    return [name for name in packages if importlib.util.find_spec(name) is None]


def install_hint(names: Iterable[str]) -> str:
    """The exact command adding the extras that provide ``names`` to the running installation."""
    from fasthep_flow.install import install_command

    extras = sorted({EXTRA_OF.get(n, "hep") for n in names})
    return f"install fasthep-flow with the extra{'s' if len(extras) > 1 else ''} {', '.join(extras)}: " + (
        install_command(extras)
    )

"""The ``toy`` source: deterministic Zmumu-like events made from a seed, so a workflow runs with no data file.

Events are generated per fixed block of ``BLOCK`` entries, each block from its own random stream seeded by
(seed, dataset, block index). A partition ``[start, stop)`` gets the same events whatever the chunking
and whichever worker generates it. Each group of fields (muons, jets, MET, weights) has its own child stream,
so reading only some fields generates only those and still gives the same values.

Physics, roughly: most events hold a Z boson (Breit-Wigner around 91.19 GeV plus a falling continuum)
decaying to two opposite-charge, isolated muons, stored first and in decreasing pT; some events have one or up
to two more soft, less isolated muons; jets are Poisson-distributed with falling pT; MET is Gaussian
noise. Momenta are float32 in GeV, like the CMS Zmumu tutorial file (``uproot-HZZ.root``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan

BLOCK = 1 << 16
"""Entries per independently seeded block: changing it changes the events, so it is part of the format."""
DEFAULT_NEVENTS = 10_000
DEFAULT_SEED = 0

MUON_MASS = 0.105658
Z_MASS, Z_WIDTH = 91.1876, 2.4952
MASS_RANGE = (60.0, 120.0)

_MUON_FIELDS = (
    "NMuon",
    "Muon_Px",
    "Muon_Py",
    "Muon_Pz",
    "Muon_E",
    "Muon_Iso",
    "Muon_Charge",
    "triggerIsoMu24",
)
_JET_FIELDS = ("NJet", "Jet_Px", "Jet_Py", "Jet_Pz", "Jet_E", "Jet_btag")
_MET_FIELDS = ("MET_px", "MET_py")
_WEIGHT_FIELDS = ("EventWeight",)
FIELDS: tuple[str, ...] = (*_MUON_FIELDS, *_JET_FIELDS, *_MET_FIELDS, *_WEIGHT_FIELDS)
"""Every field a toy event has, in a stable order."""

JAGGED: dict[str, str] = {name: "NMuon" for name in _MUON_FIELDS if name.startswith("Muon_")} | {
    name: "NJet" for name in _JET_FIELDS if name.startswith("Jet_")
}
"""Per-object fields and the counter that gives their length per event."""

Block = dict[str, np.ndarray]
"""One block's columns: flat NumPy arrays; a jagged field holds its flat contents, its counter the counts."""


# -- generation ---------------------------------------------------------------------------------------------


def _stream_id(dataset: str) -> int:
    """A stable number for a dataset name, so two datasets on one toy source get different events."""
    return zlib.crc32(dataset.encode())


def _rngs(seed: int, dataset: str, block: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, _stream_id(dataset), int(block)]).spawn(4)
    return {
        name: np.random.Generator(np.random.PCG64(child))
        for name, child in zip(("muon", "jet", "met", "weight"), children, strict=True)
    }


def _muons(rng: np.random.Generator, n: int) -> Block:
    f4 = np.float32
    # Multiplicity 0..4; events with two or more muons carry a Z -> mu mu decay in their first two slots.
    u = rng.random(n, f4)
    nmu = (u >= f4(0.04)).astype(np.int32)
    for edge in (0.16, 0.86, 0.96):
        nmu += u >= f4(edge)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nmu, dtype=np.int64, out=offsets[1:])
    total = int(offsets[-1])
    has_z = nmu >= 2
    nz = int(np.count_nonzero(has_z))

    # Z candidates: mass from a truncated Breit-Wigner (85%) or a falling continuum (15%), by inverse CDF.
    lo, hi = MASS_RANGE
    f_lo = np.arctan(2 * (lo - Z_MASS) / Z_WIDTH) / np.pi
    f_hi = np.arctan(2 * (hi - Z_MASS) / Z_WIDTH) / np.pi
    u = rng.random(nz, f4)
    mass = f4(Z_MASS) + f4(Z_WIDTH / 2) * np.tan(f4(np.pi) * (f4(f_lo) + u * f4(f_hi - f_lo)))
    scale = 20.0
    cont_mass = f4(lo) - f4(scale) * np.log1p(-u * f4(1 - np.exp(-(hi - lo) / scale)))
    mass = np.where(rng.random(nz, f4) < 0.15, cont_mass, mass)

    zpt = rng.standard_exponential(nz, f4) * f4(8.0)
    zy = (rng.random(nz, f4) + rng.random(nz, f4) - f4(1.0)) * f4(2.5)  # triangular rapidity
    zphi = rng.random(nz, f4) * f4(2 * np.pi)
    mt = np.sqrt(mass * mass + zpt * zpt)
    z_e, z_px, z_py, z_pz = mt * np.cosh(zy), zpt * np.cos(zphi), zpt * np.sin(zphi), mt * np.sinh(zy)

    # Isotropic two-body decay in the Z rest frame, boosted to the lab; the harder muon is stored first.
    cos_t = rng.random(nz, f4) * f4(2) - f4(1)
    phi_star = rng.random(nz, f4) * f4(2 * np.pi)
    half = mass * f4(0.5)
    p_star = np.sqrt(np.maximum(half * half - f4(MUON_MASS**2), f4(0)))
    sin_t = p_star * np.sqrt(f4(1) - cos_t * cos_t)
    rx, ry, rz = sin_t * np.cos(phi_star), sin_t * np.sin(phi_star), p_star * cos_t
    gamma = z_e / mass
    bx, by, bz = z_px / z_e, z_py / z_e, z_pz / z_e
    k = gamma * gamma / (gamma + f4(1))
    bp = bx * rx + by * ry + bz * rz
    # The muon along -r has bp -> -bp: its transverse momentum is known without a second boost.
    a1, a2 = k * bp + gamma * half, -k * bp + gamma * half
    pt1_sq = (rx + a1 * bx) ** 2 + (ry + a1 * by) ** 2
    pt2_sq = (a2 * bx - rx) ** 2 + (a2 * by - ry) ** 2
    sign = np.where(pt1_sq >= pt2_sq, f4(1), f4(-1))
    rx *= sign
    ry *= sign
    rz *= sign
    bp *= sign
    coeff = k * bp + gamma * half
    m1 = (rx + coeff * bx, ry + coeff * by, rz + coeff * bz, gamma * (half + bp))
    m2 = (z_px - m1[0], z_py - m1[1], z_pz - m1[2], z_e - m1[3])

    px = np.empty(total, dtype=f4)
    py = np.empty(total, dtype=f4)
    pz = np.empty(total, dtype=f4)
    energy = np.empty(total, dtype=f4)
    i1 = offsets[:-1][has_z]
    i2 = i1 + 1
    for arr, a, b in zip((px, py, pz, energy), m1, m2, strict=True):
        arr[i1] = a
        arr[i2] = b
    # Every other slot: a soft, less isolated muon of random charge; the Z muons have opposite charges.
    soft = np.ones(total, dtype=bool)
    soft[i1] = False
    soft[i2] = False
    charge = rng.integers(0, 2, total, dtype=np.int32) * 2 - 1
    charge[i2] = -charge[i1]
    iso = rng.standard_exponential(total, f4) * np.where(soft, f4(6.0), f4(1.5))
    ns = int(np.count_nonzero(soft))
    pt = f4(3.0) + rng.standard_exponential(ns, f4) * f4(8.0)
    eta = rng.random(ns, f4) * f4(4.8) - f4(2.4)
    phi = rng.random(ns, f4) * f4(2 * np.pi)
    spz = pt * np.sinh(eta)
    px[soft] = pt * np.cos(phi)
    py[soft] = pt * np.sin(phi)
    pz[soft] = spz
    energy[soft] = np.sqrt(pt * pt + spz * spz + f4(MUON_MASS**2))

    # The isolated-muon trigger: a muon above 24 GeV, 94% efficient. The harder Z muon decides for Z events;
    # the few soft muons above threshold are found by slot (searchsorted maps a slot to its event).
    threshold = f4(24.0**2)
    above = np.zeros(n, dtype=bool)
    above[has_z] = np.maximum(pt1_sq, pt2_sq) > threshold
    soft_slots = np.flatnonzero(soft)[(pt * pt) > threshold]
    above[np.searchsorted(offsets, soft_slots, side="right") - 1] = True
    trigger = above & (rng.random(n, f4) < f4(0.94))

    return {
        "NMuon": nmu,
        "Muon_Px": px,
        "Muon_Py": py,
        "Muon_Pz": pz,
        "Muon_E": energy,
        "Muon_Iso": iso,
        "Muon_Charge": charge,
        "triggerIsoMu24": trigger,
    }


_NJET_CDF = np.cumsum([math.exp(-1.6) * 1.6**k / math.factorial(k) for k in range(8)]).astype(np.float32)
"""Poisson(1.6) cumulative probabilities for 0..7 jets: the jet multiplicity by inverse CDF (capped at 8)."""


def _jets(rng: np.random.Generator, n: int) -> Block:
    f4 = np.float32
    u = rng.random(n, f4)
    njet = np.zeros(n, dtype=np.int32)
    for edge in _NJET_CDF:
        njet += u >= edge
    total = int(njet.sum(dtype=np.int64))
    pt = f4(20.0) + rng.standard_exponential(total, f4) * f4(30.0)
    # Triangular in [-3, 3]: central like real jets, without the cost of Gaussian draws.
    eta = (rng.random(total, f4) + rng.random(total, f4) - f4(1.0)) * f4(3.0)
    phi = rng.random(total, f4) * f4(2 * np.pi)
    pz = pt * np.sinh(eta)
    mass = f4(2.0) + f4(0.1) * pt
    return {
        "NJet": njet,
        "Jet_Px": pt * np.cos(phi),
        "Jet_Py": pt * np.sin(phi),
        "Jet_Pz": pz,
        "Jet_E": np.sqrt(pt * pt + pz * pz + mass * mass),
        "Jet_btag": rng.random(total, f4) ** 4,
    }


def _met(rng: np.random.Generator, n: int) -> Block:
    return {
        "MET_px": rng.standard_normal(n, dtype=np.float32) * np.float32(12.0),
        "MET_py": rng.standard_normal(n, dtype=np.float32) * np.float32(12.0),
    }


def _weights(rng: np.random.Generator, n: int, eventtype: str) -> Block:
    if eventtype == "data":
        return {"EventWeight": np.ones(n, dtype=np.float32)}
    return {"EventWeight": (1.0 + 0.15 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)}


_GROUPS: tuple[tuple[tuple[str, ...], str, Callable[..., Block]], ...] = (
    (_MUON_FIELDS, "muon", _muons),
    (_JET_FIELDS, "jet", _jets),
    (_MET_FIELDS, "met", _met),
)


def _block(seed: int, dataset: str, eventtype: str, index: int, wanted: set[str]) -> Block:
    rngs = _rngs(seed, dataset, index)
    out: Block = {}
    for names, stream, make in _GROUPS:
        if wanted.intersection(names):
            out.update(make(rngs[stream], BLOCK))
    if "EventWeight" in wanted:
        out.update(_weights(rngs["weight"], BLOCK, eventtype))
    return out


def generate(
    start: int,
    stop: int,
    seed: int = DEFAULT_SEED,
    dataset: str = "toy",
    eventtype: str = "mc",
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Columns of the events ``[start, stop)``: NumPy arrays per event, awkward jagged arrays per object."""
    import awkward as ak

    wanted = set(FIELDS if fields is None else fields)
    unknown = wanted - set(FIELDS)
    if unknown:
        raise ValueError(f"bug: toy fields {sorted(unknown)} do not exist")
    generated = wanted | {JAGGED[f] for f in wanted if f in JAGGED}
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in generated}
    blocks = range(start // BLOCK, (stop - 1) // BLOCK + 1) if stop > start else range(0)
    for index in blocks:
        block = _block(seed, dataset, eventtype, index, generated)
        lo = max(start - index * BLOCK, 0)
        hi = min(stop - index * BLOCK, BLOCK)
        for name in generated:
            counter = JAGGED.get(name)
            if counter is None:
                pieces[name].append(block[name][lo:hi])
            else:
                counts = block[counter]
                first = int(counts[:lo].sum(dtype=np.int64))
                pieces[name].append(block[name][first : first + int(counts[lo:hi].sum(dtype=np.int64))])

    joined = {name: _join(parts, name) for name, parts in pieces.items()}
    offsets: dict[str, Any] = {}
    for counter in {JAGGED[f] for f in wanted if f in JAGGED}:
        off = np.zeros(len(joined[counter]) + 1, dtype=np.int64)
        np.cumsum(joined[counter], dtype=np.int64, out=off[1:])
        offsets[counter] = ak.index.Index64(off)
    columns: dict[str, Any] = {}
    for name in FIELDS:
        if name in wanted:
            counter = JAGGED.get(name)
            if counter is None:
                columns[name] = joined[name]
            else:
                layout = ak.contents.ListOffsetArray(offsets[counter], ak.contents.NumpyArray(joined[name]))
                columns[name] = ak.Array(layout)
    return columns


def _join(parts: list[np.ndarray], name: str) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else _empty(name)


def _empty(name: str) -> np.ndarray:
    dtypes = {"NMuon": np.int32, "NJet": np.int32, "Muon_Charge": np.int32, "triggerIsoMu24": np.bool_}
    return np.zeros(0, dtype=dtypes.get(name, np.float32))


# -- the source contract ----------------------------------------------------------------------------------


def _nevents(source: SourcePlan, dataset: DatasetPlan) -> int:
    if dataset.nevents is not None:
        return int(dataset.nevents)
    return int(source.params.get("nevents", DEFAULT_NEVENTS))


def entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int:
    """The dataset's ``nevents``, else the source's ``nevents`` param, else 10000."""
    return _nevents(source, dataset)


def read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events:
    """The toy events ``[part.start, part.stop)`` of the dataset with the requested fields (all if empty)."""
    total = _nevents(source, ctx.dataset)
    start = max(int(part.start), 0)
    stop = total if part.stop is None else min(int(part.stop), total)
    stop = max(stop, start)
    wanted = list(dict.fromkeys(fields or source.fields or FIELDS))
    for name in wanted:
        if name not in FIELDS:
            raise OpError(
                RUNTIME_MISSING_FIELD,
                f"the toy source has no field '{name}'",
                did_you_mean(name, FIELDS) or "toy fields: " + ", ".join(FIELDS),
            )
    seed = int(source.params.get("seed", DEFAULT_SEED))
    columns = generate(start, stop, seed, ctx.dataset.name, ctx.dataset.eventtype, wanted)
    return Events(columns, stop - start)


# -- files for tests and benchmarks ---------------------------------------------------------------------


def write_toy_root(
    path: str | Path,
    nevents: int,
    seed: int = DEFAULT_SEED,
    tree: str = "events",
    dataset: str = "toy",
    eventtype: str = "mc",
    chunk: int = 4 * BLOCK,
) -> Path:
    """Write toy events to a ROOT TTree laid out like the CMS Zmumu tutorial file.

    Jagged branches ``Muon_*``/``Jet_*`` are counted by ``NMuon``/``NJet``; written in chunks so that millions
    of events (benchmarks) never sit in memory at once. Returns the path.
    """
    import awkward as ak
    import uproot

    path = Path(path)

    def chunk_data(lo: int, hi: int) -> dict[str, Any]:
        cols = generate(lo, hi, seed, dataset, eventtype)
        data: dict[str, Any] = {}
        for prefix in ("Muon", "Jet"):
            data[prefix] = ak.zip({n.split("_", 1)[1]: cols[n] for n in FIELDS if n.startswith(prefix + "_")})
        data.update({n: cols[n] for n in FIELDS if n not in JAGGED and n not in ("NMuon", "NJet")})
        return data

    with uproot.recreate(path) as out:
        first = chunk_data(0, min(chunk, nevents))
        types: Mapping[str, Any] = {
            k: (v.type.content if hasattr(v, "layout") else v.dtype) for k, v in first.items()
        }
        handle = out.mktree(
            tree,
            dict(types),
            counter_name=lambda counted: "N" + counted,
            field_name=lambda outer, inner: f"{outer}_{inner}",
        )
        handle.extend(first)
        for lo in range(chunk, nevents, chunk):
            handle.extend(chunk_data(lo, min(lo + chunk, nevents)))
    return path

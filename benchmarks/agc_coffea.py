"""The AGC ttbar analysis as a coffea processor: bench_agc.py's third implementation, run only by the python of
the coffea venv the benchmark makes under its cache folder (coffea is never installed in the project's venv).

The same selection and observables as the hand-written script, on coffea's NanoEvents (``NanoAODSchema``), with
the trijet built by ``ak.combinations`` and chosen by ``ak.argmax(..., keepdims=True)`` as the AGC's coffea
version does.
"""

from __future__ import annotations

import awkward as ak
import hist
import numpy as np
from coffea import processor

WEIGHT = 729.84 * 3378 / 200  # the example's xsec × lumi / nevts_total
VARIATIONS = {"nominal": 1.0, "pt_scale_up": 1.03}


def empty():
    return hist.Hist(
        hist.axis.Regular(25, 50, 550, name="observable"),
        hist.axis.StrCategory(list(VARIATIONS), name="variation"),
        storage=hist.storage.Weight(),
    )


class AGC(processor.ProcessorABC):
    def process(self, events):
        out = {"4j1b": empty(), "4j2b": empty()}
        el, mu = events.Electron, events.Muon
        electrons = (el.pt > 30) & (abs(el.eta) < 2.1) & (el.cutBased == 4) & (el.sip3d < 4)
        muons = (mu.pt > 30) & (abs(mu.eta) < 2.1) & mu.tightId & (mu.sip3d < 4) & (mu.pfRelIso04_all < 0.15)
        one_lepton = (ak.sum(electrons, axis=1) + ak.sum(muons, axis=1)) == 1
        for variation, scale in VARIATIONS.items():
            jets = events.Jet
            pt = jets.pt * scale if scale != 1.0 else jets.pt
            good = (pt > 30) & (abs(jets.eta) < 2.4) & ((jets.jetId & 4) != 0)
            selected = one_lepton & (ak.sum(good, axis=1) >= 4)
            p4 = ak.zip(
                {
                    "pt": ak.values_astype(pt, np.float64),
                    "eta": ak.values_astype(jets.eta, np.float64),
                    "phi": ak.values_astype(jets.phi, np.float64),
                    "mass": ak.values_astype(jets.mass, np.float64),
                    "btag": jets.btagCSVV2,
                    "pt32": pt,
                },
                with_name="PtEtaPhiMLorentzVector",
                behavior=jets.behavior,
            )[good][selected]
            n_b = ak.sum(p4.btag > 0.5, axis=1)
            out["4j1b"].fill(ak.to_numpy(ak.sum(p4.pt32[n_b == 1], axis=1)), variation, weight=WEIGHT)
            trijet = ak.combinations(p4[n_b >= 2], 3, fields=["j1", "j2", "j3"])
            total = trijet.j1 + trijet.j2 + trijet.j3
            max_btag = np.maximum(trijet.j1.btag, np.maximum(trijet.j2.btag, trijet.j3.btag))
            total = total[max_btag > 0.5]
            mass = ak.flatten(total[ak.argmax(total.pt, axis=1, keepdims=True)].mass)
            out["4j2b"].fill(ak.to_numpy(ak.drop_none(mass)), variation, weight=WEIGHT)
        return out

    def postprocess(self, accumulator):
        return accumulator


def run(files, workers, chunk):
    """The processor over ``files`` with coffea's iterative (1 worker) or futures (n workers) executor."""
    from coffea.nanoevents import NanoAODSchema

    executor = processor.IterativeExecutor() if workers == 1 else processor.FuturesExecutor(workers=workers)
    run = processor.Runner(executor=executor, schema=NanoAODSchema, chunksize=chunk)
    fileset = {"ttbar": {"files": {str(f): "Events" for f in files}}}
    return run(fileset, processor_instance=AGC(), treename="Events")

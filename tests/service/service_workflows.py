"""Workflows shared by the language-service tests."""

from __future__ import annotations

HEAD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100}
analysis:
  globals: {iso_cut: 0.10}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: IsoMuon, expr: "(Muon_Iso / Muon_Pt) < iso_cut"}
    - id: Baseline
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["NMuon >= 2"]}
"""
"""A valid toy workflow with two stages; tests append a stage and put the cursor in it."""

STYLES = """\
styles:
  muon_pt: {op: hep.render.hist1d}
  cutflow_table: {op: hep.render.cutflow_csv}
"""

"""The shipped examples run end to end through the real CLI, and their numbers match an independent computation."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import awkward as ak
import numpy as np
import pyarrow.parquet as pq
import pytest
import uproot

from fasthep_flow.cli.main import main
from fasthep_flow.resources import shipped

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _cutflow_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_default_run_is_the_shipped_toy_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fasthep-flow run` with no workflow runs the example shipped in the package and says where outputs are."""
    out = tmp_path / "out"
    assert main(["run", "--outdir", str(out), "--quiet"]) == 0
    assert shipped("examples", "toy_zmumu.flow.yaml").exists()
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "ok"
    assert {Path(p).name for p in record_outputs(record)} >= {"MuonPt.png", "DiMuonMass.png", "Dimuon.csv"}
    rows = _cutflow_rows(out / "Dimuon.csv")
    first = next(r for r in rows if r["dataset"] == "toy_dy" and r["step"] == "triggerIsoMu24")
    assert int(first["events_in"]) == 200_000  # the dataset's nevents, from the generator
    assert 0 < int(first["events_out"]) < 200_000


def record_outputs(record: dict[str, object]) -> list[str]:
    outputs = record["outputs"]
    assert isinstance(outputs, list)
    return [o["path"] if isinstance(o, dict) else str(o) for o in outputs]


def test_weather_parquet_example_counts_hot_days(tmp_path: Path) -> None:
    """The non-HEP example: the cutflow's hot-day count equals a plain pyarrow/numpy count of the shipped table."""
    work = tmp_path / "ex"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("*.root"))
    out = tmp_path / "out"
    assert main(["run", str(work / "weather_parquet.flow.yaml"), "--outdir", str(out), "--quiet"]) == 0
    table = pq.read_table(work / "data" / "weather.parquet").to_pydict()
    temperature = np.asarray(table["temperature"])
    humidity = np.asarray(table["humidity"])
    rows = _cutflow_rows(out / "HotDays.csv")
    step1 = next(r for r in rows if r["step"] == "temperature > hot")
    step2 = next(r for r in rows if r["step"] == "humidity < 90")
    assert int(step1["events_in"]) == len(temperature)
    assert int(step1["events_out"]) == int((temperature > 22.0).sum())
    assert int(step2["events_out"]) == int(((temperature > 22.0) & (humidity < 90)).sum())
    written = pq.read_table(out / "artifacts/files/data/readings_with_wind_chill.parquet").to_pydict()
    wind = np.asarray(table["wind_speed"])
    expected = np.where(temperature < 10, temperature - 0.7 * wind, temperature)
    np.testing.assert_allclose(np.asarray(written["wind_chill"]), expected)


def test_cms_zmumu_root_example_matches_plain_uproot(tmp_path: Path, shared_data_dir: Path) -> None:
    """The ROOT example on uproot-HZZ.root: cutflow counts and the dimuon-mass histogram match a hand computation."""
    work = tmp_path / "ex"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("*.root"))
    (work / "data" / "uproot-HZZ.root").symlink_to(shared_data_dir / "uproot-HZZ.root")
    out = tmp_path / "out"
    assert main(["run", str(work / "cms_zmumu_root.flow.yaml"), "--outdir", str(out), "--quiet"]) == 0

    events = uproot.open(shared_data_dir / "uproot-HZZ.root")["events"].arrays(
        ["NMuon", "Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Iso", "EventWeight", "triggerIsoMu24"]
    )
    pt = np.sqrt(events.Muon_Px**2 + events.Muon_Py**2)
    iso = (events.Muon_Iso / pt) < 0.10
    passed = events.triggerIsoMu24 & (ak.count_nonzero(iso, axis=1) >= 2) & (events.NMuon < 5)
    rows = _cutflow_rows(out / "Dimuon.csv")
    last = next(r for r in rows if r["dataset"] == "hzz" and r["step"] == "NMuon < 5")
    assert int(last["events_out"]) == int(ak.sum(passed))
    assert float(last["weights_out"]) == pytest.approx(float(ak.sum(events.EventWeight[passed])), rel=1e-5)

    sel = events[passed]
    sel_iso = iso[passed]
    mu = ak.zip({"px": sel.Muon_Px, "py": sel.Muon_Py, "pz": sel.Muon_Pz, "e": sel.Muon_E})[sel_iso]
    two = ak.num(mu) >= 2
    pair = mu[two][:, :2]
    e = pair.e[:, 0] + pair.e[:, 1]
    px = pair.px[:, 0] + pair.px[:, 1]
    py = pair.py[:, 0] + pair.py[:, 1]
    pz = pair.pz[:, 0] + pair.pz[:, 1]
    mass = np.sqrt(np.maximum(ak.to_numpy(e**2 - px**2 - py**2 - pz**2), 0))
    weights = ak.to_numpy(sel.EventWeight[two])
    expected, _ = np.histogram(mass, bins=50, range=(0, 200), weights=weights)
    with uproot.open(out / "hists" / "Histograms.root") as f:
        key = next(k for k in f.keys() if "hzz" in k)  # noqa: SIM118 — a ROOT directory, not a dict
        got = f[key].values()
    np.testing.assert_allclose(got, expected, rtol=1e-6)

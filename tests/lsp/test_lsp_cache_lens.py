"""The cache lens on each stage: what a run would reuse, from the run's own decision, without running anything
(the real server over stdio; the cache filled by a real run of the same workflow)."""

from __future__ import annotations

from pathlib import Path

from lsp_session import Session
from lsprotocol import types

from fasthep_flow.cli.main import main

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 2000, seed: 4}
data:
  datasets:
    - {name: toy_dy, eventtype: mc, nevents: 2000}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}]
execution: {cache: cache, chunk_size: 1000}
"""


async def cache_lenses(session: Session, uri: str, text: str) -> dict[str, str]:
    """Stage id -> the title of its cache lens (the lens on the stage's line that runs nothing)."""
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    assert lenses is not None
    lines = text.splitlines()
    out = {}
    for lens in lenses:
        assert lens.command is not None
        if lens.command.command == "":
            line = lines[lens.range.start.line]
            assert "- id: " in line
            out[line.split("- id: ")[1].strip()] = lens.command.title
    return out


async def test_stage_lenses_show_the_cache_state(vscode: Session, tmp_path: Path) -> None:
    path = tmp_path / "w.flow.yaml"
    path.write_text(WORKFLOW)
    uri = vscode.open(path, WORKFLOW)
    assert await cache_lenses(vscode, uri, WORKFLOW) == {
        "MuonVars": "will recompute: not cached",
        "MuonPt": "will recompute: not cached",
    }
    assert not (tmp_path / "cache").exists()  # the lenses ran nothing and wrote nothing

    assert main(["run", str(path), "--outdir", str(tmp_path / "out"), "--quiet"]) == 0
    assert await cache_lenses(vscode, uri, WORKFLOW) == {
        "MuonVars": "✓ 2/2 partitions cached",
        "MuonPt": "✓ 2/2 partitions cached",
    }

    edited = WORKFLOW.replace("nbins: 60", "nbins: 30")
    vscode.change(uri, 2, edited)
    await vscode.diagnostics(uri, 2)
    assert await cache_lenses(vscode, uri, edited) == {
        "MuonVars": "✓ 2/2 partitions cached",
        "MuonPt": "will recompute: params changed",
    }
    edited = WORKFLOW.replace('"sqrt(', '"1.0 * sqrt(')
    vscode.change(uri, 3, edited)
    await vscode.diagnostics(uri, 3)
    assert await cache_lenses(vscode, uri, edited) == {
        "MuonVars": "will recompute: params changed",
        "MuonPt": "will recompute: upstream changed",
    }

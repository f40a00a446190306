"""Params given as the path of a YAML file (upstream's `aliases: aliases.yaml` for `hep.project_fields`): the
file's mapping takes the param's place for every pass, a mistake inside it is reported in that file, a missing
file at the path, and the loader's own tree is left as written."""

from __future__ import annotations

from pathlib import Path

from fasthep_flow.compiler import compile_file
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode, ScalarNode

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 200, seed: 3}
data:
  datasets: [{name: dy, nevents: 200}]
analysis:
  stages:
    - id: Proj
      op: hep.project_fields
      params:
        aliases: ALIASES
    - id: H
      op: hep.hist
      params:
        axes: [{name: n, source: nmu, type: regular, bins: {low: 0, high: 6, nbins: 6}}]
"""


def _write(tmp_path: Path, aliases_text: str | None, name: str = "aliases.yaml") -> Path:
    if aliases_text is not None:
        (tmp_path / name).write_text(aliases_text, encoding="utf-8")
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(WORKFLOW.replace("ALIASES", name), encoding="utf-8")
    return wf


def _errors(result: object) -> list[tuple[str, str, int, int]]:
    return [
        (d.code.id, Path(d.span.file).name, d.span.start.line, d.span.start.col)
        for d in result.diagnostics  # type: ignore[attr-defined]
        if d.severity is Severity.ERROR
    ]


def test_aliases_from_a_file_name_fields_the_next_stages_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = compile_file(_write(tmp_path, "nmu: NMuon\n"))
    assert _errors(result) == []
    assert result.plan is not None
    [proj] = [n for n in result.plan.nodes if n.id == "stage.Proj"]
    assert proj.params["aliases"] == {"nmu": "NMuon"}
    # the loader's tree still holds the path as written (editor features read it)
    stages = result.loaded.root.get("analysis").get("stages")
    params = stages.items[0].get("params")
    assert isinstance(params, MapNode) and isinstance(params.get("aliases"), ScalarNode)


def test_an_unknown_field_inside_the_file_is_reported_there(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = compile_file(_write(tmp_path, "# aliases\nnmu: NMuonn\n"))
    assert ("FF303", "aliases.yaml", 1, 5) in _errors(result)


def test_a_missing_file_is_reported_at_the_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = compile_file(_write(tmp_path, None, "nowhere.yaml"))
    errors = _errors(result)
    assert ("FF306", "wf.flow.yaml", 10, 17) in errors
    assert not [e for e in errors if e[0] == "FF106"]  # a path is an accepted form: no "must be a mapping"

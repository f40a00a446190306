"""Workspace trust: a `registry:` layer imports nothing without trust, installed or workspace code alike."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from regtools import parse

from fasthep_flow.document import codes
from fasthep_flow.registry import load_registry
from fasthep_flow.registry.trust import NotTrusted, check_module, import_module, installed_path

MYOPS = """\
from pathlib import Path
Path(__file__).with_name("imported.marker").write_text("imported")

from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Str

MY_SPEC = OpSpec("lab.scale", OpKind.TRANSFORM, "Scale a field.", params=(Param("field", Str, doc="f"),))
NOT_A_SPEC = 42
"""


@pytest.fixture
def workspace(tmp_path: Path):
    """A workflow folder holding `myops.py`, whose import leaves a marker file; unloaded afterwards."""
    (tmp_path / "myops.py").write_text(MYOPS, encoding="utf-8")
    yield tmp_path
    sys.modules.pop("myops", None)


WORKFLOW = textwrap.dedent(
    """\
    registry:
      - {spec: "myops:MY_SPEC", impl: "myops:run"}
    analysis:
      stages:
        - {id: S, op: lab.scale, params: {field: x}}
    """
)


def test_untrusted_layer_is_not_imported(workspace: Path) -> None:
    root = parse(WORKFLOW, str(workspace / "wf.yaml"))
    reg, diags = load_registry(root, workspace, trust=False)
    assert not (workspace / "imported.marker").exists()
    assert "myops" not in sys.modules
    assert reg.stage_op("lab.scale") is None
    (layer,) = reg.layers
    assert (layer.untrusted, layer.loaded, layer.error) == (True, None, None)
    assert layer.spec_ref == "myops:MY_SPEC" and layer.impl_ref == "myops:run"
    assert layer.names == ("MY_SPEC",)  # without importing, the attribute name is all there is
    assert dict(reg.untrusted_ops()) == {"MY_SPEC": "registry layer 'myops:MY_SPEC'"}
    assert [(d.code, d.severity.label, d.span.start.line) for d in diags] == [(codes.UNTRUSTED, "warning", 1)]
    assert "not loaded: workspace not trusted" in diags[0].message


def test_untrusted_layer_with_a_name_tells_the_op_name(workspace: Path) -> None:
    root = parse('registry: [{spec: "myops:MY_SPEC", name: lab.scale}]\n', str(workspace / "wf.yaml"))
    reg, _ = load_registry(root, workspace)
    assert reg.layer_for("lab.scale") is reg.layers[0]
    assert "lab.scale" in reg.untrusted_ops()
    assert not (workspace / "imported.marker").exists()


def test_trusted_layer_is_imported_and_provides_its_op(workspace: Path) -> None:
    root = parse(WORKFLOW, str(workspace / "wf.yaml"))
    reg, diags = load_registry(root, workspace, trust=True)
    assert diags == []
    assert (workspace / "imported.marker").read_text() == "imported"
    spec = reg.stage_op("lab.scale")
    assert spec is not None and spec.impl == "myops:run" and spec.plugin == "registry"
    assert reg.layers[0].loaded is spec and not reg.layers[0].untrusted
    assert reg.code_paths == (str(workspace),)
    assert str(workspace) not in sys.path  # the folder is on sys.path only while importing


def test_once_imported_it_is_still_untrusted_without_trust(workspace: Path) -> None:
    root = parse(WORKFLOW, str(workspace / "wf.yaml"))
    load_registry(root, workspace, trust=True)
    reg, _ = load_registry(root, workspace, trust=False)
    assert reg.stage_op("lab.scale") is None and reg.layers[0].untrusted


def test_installed_module_layers_need_trust_too(tmp_path: Path) -> None:
    """Importing any module runs it (`venv.__main__` makes a virtualenv): installed ones need trust as well."""
    text = (
        "registry:\n"
        '  - {spec: "fasthep_flow.ops.hep.hist:SPEC", impl: "fasthep_flow.ops.hep.hist:fill", name: lab.hist}\n'
    )
    reg, diags = load_registry(parse(text, str(tmp_path / "wf.yaml")), tmp_path)
    assert [d.code for d in diags] == [codes.UNTRUSTED]
    assert reg.stage_op("lab.hist") is None and reg.layers[0].untrusted
    reg, diags = load_registry(parse(text, str(tmp_path / "wf.yaml")), tmp_path, trust=True)
    assert diags == []
    spec = reg.stage_op("lab.hist")
    assert (
        spec is not None and spec.impl == "fasthep_flow.ops.hep.hist:fill" and spec.param("axes") is not None
    )
    assert reg.stage_op("hep.hist") is not None  # the original stays
    assert reg.code_paths == ()


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ('{spec: "no_such_module_xyz:SPEC"}', "module 'no_such_module_xyz' cannot be found"),
        ('{spec: "myops:NOT_A_SPEC"}', "is a int, not an OpSpec"),
        ('{spec: "myops:MISSING"}', "AttributeError"),
        ('{spec: "not a ref"}', "is not of the form 'module:attribute'"),
        ('{spec: "json:dumps", impl: "bad impl"}', "is not of the form"),
    ],
)
def test_broken_layers_are_ff113(workspace: Path, layer: str, message: str) -> None:
    root = parse(f"registry:\n  - {layer}\n", str(workspace / "wf.yaml"))
    reg, diags = load_registry(root, workspace, trust=True)
    assert [d.code for d in diags] == [codes.REGISTRY_LOAD]
    assert message in diags[0].message
    assert reg.layers[0].error is not None and reg.layers[0].loaded is None


def test_check_module_verdicts(workspace: Path) -> None:
    assert check_module("myops", workspace).in_workspace
    assert not check_module("myops", None).found  # not on sys.path, and no folder to look in
    json_verdict = check_module("json", workspace)
    assert json_verdict.trusted and json_verdict.found
    assert check_module("sys", workspace).trusted
    assert not check_module("no_such_module_xyz", workspace).found
    assert check_module("fasthep_flow.ops.hep", workspace).trusted


def test_installed_module_is_not_shadowed_by_a_workspace_file(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "shadowed_ops.py").write_text("WHO = 'installed'\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "shadowed_ops.py").write_text(
        "open(__file__ + '.marker', 'w').write('ran')\nWHO = 'workspace'\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(work))  # the workspace comes first, as '' does for `python -m`
    try:
        assert str(work) not in installed_path(work)
        assert check_module("shadowed_ops", work).trusted
        with pytest.raises(NotTrusted):
            import_module("shadowed_ops", work, trust=False)
        assert "shadowed_ops" not in sys.modules
        module = import_module("shadowed_ops", work, trust=True)
        assert module.WHO == "installed"
        assert not (work / "shadowed_ops.py.marker").exists()
    finally:
        sys.modules.pop("shadowed_ops", None)


def test_module_installed_inside_the_workflow_folder_is_untrusted(tmp_path: Path, monkeypatch) -> None:
    """An editable install whose source sits in the workflow's folder is still the workspace's code."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "inplace_ops.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(src))
    verdict = check_module("inplace_ops", tmp_path)
    assert verdict.found and not verdict.trusted
    assert check_module("inplace_ops", tmp_path / "elsewhere").trusted

"""Diagnostics equal `check`'s; includes read open buffers; snapshots compile once; no pygls in the service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service_workflows import HEAD

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document import codes
from fasthep_flow.service import (
    Context,
    Document,
    OverlayReader,
    diagnose,
    files_read,
    path_to_uri,
    uri_to_path,
)

BROKEN = HEAD.replace("hep.define", "hep.defne").replace('"NMuon >= 2"', '"NMuon >= = 2"')


def test_diagnostics_are_checks_for_this_file(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "w.flow.yaml"
    doc = Document(path_to_uri(str(path)), BROKEN, 3)
    got = diagnose(doc, ctx)
    expected = compile_text(BROKEN, str(path), CompileOptions()).diagnostics
    assert sorted((d.code.id, d.span.start, d.message) for d in got) == sorted(
        (d.code.id, d.span.start, d.message) for d in expected
    )
    assert {d.code for d in got} >= {codes.UNKNOWN_OP, codes.EXPR_SYNTAX}


def test_one_compile_per_version_and_context(ctx: Context) -> None:
    doc = Document("file:///x/w.flow.yaml", HEAD, 1)
    assert doc.compiled(ctx) is doc.compiled(ctx)
    assert doc.compiled(Context()) is not doc.compiled(ctx)


def test_included_file_seen_through_the_open_buffer(tmp_path: Path) -> None:
    data = tmp_path / "datasets.yaml"
    data.write_text("data:\n  datasets:\n    - {name: dy, files: [dy.root]}\n")
    main = tmp_path / "w.flow.yaml"
    text = "include: [datasets.yaml]\n" + HEAD
    doc = Document(path_to_uri(str(main)), text, 1)
    on_disk = Context(OverlayReader({}))
    assert not any(d.code is codes.INCLUDE_ERROR for d in diagnose(doc, on_disk))
    assert str(data.resolve()) in files_read(doc, on_disk)
    edited = Context(OverlayReader({str(data): "data:\n  datasets:\n    - {name: dy, files: [dy.root]\n"}))
    found = diagnose(doc, edited)
    assert [d.code for d in found] == [codes.INCLUDE_ERROR]
    assert found[0].related and found[0].related[0].span.file.endswith("datasets.yaml")


def test_an_included_file_is_diagnosed_in_the_context_of_its_includer(tmp_path: Path) -> None:
    data = tmp_path / "datasets.yaml"
    data_text = "data:\n  datasets:\n    - {name: dy, files: [dy.root]}\nsourcez: {}\n"
    main = tmp_path / "w.flow.yaml"
    main_doc = Document(path_to_uri(str(main)), "include: [datasets.yaml]\n" + HEAD, 1)
    data_doc = Document(path_to_uri(str(data)), data_text, 1)
    ctx = Context(OverlayReader({str(data): data_text}))
    alone = {d.code for d in diagnose(data_doc, ctx)}
    assert codes.EMPTY_STAGES in alone  # checked on its own, a dataset file has nothing to run
    in_context = diagnose(data_doc, ctx, includer=main_doc)
    assert [d.code for d in in_context] == [codes.UNKNOWN_TOP_KEY]
    assert in_context[0].span.start.line == 3


def test_uri_and_path_round_trip() -> None:
    assert uri_to_path("file:///tmp/a%20b/w.flow.yaml") == "/tmp/a b/w.flow.yaml"
    assert path_to_uri("/tmp/a b/w.flow.yaml") == "file:///tmp/a%20b/w.flow.yaml"
    assert uri_to_path("untitled:Untitled-1") == "untitled:Untitled-1"


def test_a_half_typed_line_keeps_the_rest_of_the_index(ctx: Context) -> None:
    doc = Document("file:///x/w.flow.yaml", HEAD + "    - id: C\n      needs: [Bas\n", 1)
    assert doc.compiled(ctx).loaded.root is None  # the text does not parse
    from fasthep_flow.document.spans import Pos

    index = doc.index(ctx, Pos(HEAD.count("\n") + 1, 16))
    assert [s.id for s in index.stages] == ["MuonVars", "Baseline", "C"]


def test_importing_the_service_does_not_import_pygls() -> None:
    code = "import sys, fasthep_flow.service; print(sorted(m for m in ('pygls', 'lsprotocol', 'awkward', 'uproot') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_module_under_service_imports_pygls_or_lsprotocol() -> None:
    import ast

    import fasthep_flow.service as service

    folder = Path(service.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("pygls", "lsprotocol"), f"{path.name} imports {name}"


def test_trust_decides_whether_workspace_ops_load(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "diagnostics"
    (tmp_path / "wsops").mkdir()
    (tmp_path / "wsops" / "__init__.py").write_text("")
    (tmp_path / "wsops" / "myops.py").write_text((fixtures / "_includes" / "myops.py").read_text())
    text = (
        (fixtures / "FF112-untrusted-registry-layer.yaml")
        .read_text()
        .replace("_includes.myops", "wsops.myops")
    )
    doc = Document(path_to_uri(str(tmp_path / "w.flow.yaml")), text, 1)
    untrusted = {d.code for d in diagnose(doc, Context(trust=False))}
    assert codes.UNTRUSTED in untrusted
    trusted = diagnose(doc, Context(trust=True))
    assert codes.UNTRUSTED not in {d.code for d in trusted}

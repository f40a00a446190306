"""load_workflow: includes deep-merged under the including file, every file's problems in that file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.document import (
    DiskReader,
    LoadedWorkflow,
    MapNode,
    Node,
    Pos,
    ScalarNode,
    SeqNode,
    Span,
    codes,
    include_errors,
    load_workflow,
    to_python,
)
from fasthep_flow.document.diagnostics import error, warning

MAIN = """\
version: 1.0
include: [datasets.yaml, styles/styles.yaml]
data:
  defaults: {eventtype: mc}
  datasets:
    - {name: main_only}
styles:
  muon_pt: {op: hep.render.hist1d, dpi: 200}
"""
DATASETS = """\
include: common.yaml
data:
  defaults: {tree_primary: events, eventtype: data}
  datasets:
    - {name: dy, files: [dy.root]}
"""
COMMON = """\
data:
  datasets:
    - {name: common}
execution: {backend: local}
"""
STYLES = """\
styles:
  muon_pt: {dpi: 100, figure: {size: [6, 4]}}
  cutflow_table: {op: hep.render.cutflow_csv}
"""


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def load(folder: Path, files: dict[str, str], main: str = "main.yaml") -> LoadedWorkflow:
    write(folder, files)
    path = folder / main
    return load_workflow(path.read_text(encoding="utf-8"), str(path))


def at(node: Node | None, *path: str | int) -> Node:
    for part in path:
        if isinstance(part, str):
            assert isinstance(node, MapNode)
            node = node.get(part)
        else:
            assert isinstance(node, SeqNode)
            node = node.items[part]
    assert node is not None
    return node


@pytest.fixture
def nested(tmp_path: Path) -> LoadedWorkflow:
    return load(
        tmp_path,
        {"main.yaml": MAIN, "datasets.yaml": DATASETS, "common.yaml": COMMON, "styles/styles.yaml": STYLES},
    )


def test_nested_includes_merge_under_the_including_file(nested: LoadedWorkflow) -> None:
    assert nested.diagnostics == ()
    merged = to_python(nested.root)
    assert merged == {
        "data": {
            "defaults": {"tree_primary": "events", "eventtype": "mc"},  # mappings merge, the includer wins
            "datasets": [{"name": "common"}, {"name": "dy", "files": ["dy.root"]}, {"name": "main_only"}],
        },
        "execution": {"backend": "local"},
        "styles": {
            "muon_pt": {"dpi": 200, "figure": {"size": [6, 4]}, "op": "hep.render.hist1d"},
            "cutflow_table": {"op": "hep.render.cutflow_csv"},
        },
        "version": 1.0,
        "include": ["datasets.yaml", "styles/styles.yaml"],
    }


def test_lists_concatenate_included_first(nested: LoadedWorkflow) -> None:
    names = [to_python(at(item, "name")) for item in at(nested.root, "data", "datasets")]  # type: ignore[union-attr]
    assert names == ["common", "dy", "main_only"]


def test_merged_nodes_keep_their_own_files_spans(nested: LoadedWorkflow, tmp_path: Path) -> None:
    main, datasets, common = (
        str(tmp_path / "main.yaml"),
        str(tmp_path / "datasets.yaml"),
        str(tmp_path / "common.yaml"),
    )
    dy = at(nested.root, "data", "datasets", 1, "name")
    assert (dy.span.file, dy.span.start) == (datasets, Pos(4, 13))
    assert dy.index is nested.files[datasets], "a node's line index is its own file's"
    assert at(nested.root, "data", "datasets", 0).span.file == common
    assert at(nested.root, "execution").span.file == common
    # a merged mapping or list takes the including file's span; its entries come from both files
    data = at(nested.root, "data")
    assert (data.span.file, data.span.start) == (main, Pos(3, 2))
    assert at(nested.root, "data", "datasets").span.file == main
    tree = at(nested.root, "data", "defaults", "tree_primary")
    assert tree.span.file == datasets
    eventtype = at(nested.root, "data", "defaults", "eventtype")
    assert (eventtype.span.file, eventtype.span.start) == (main, Pos(3, 24))
    assert isinstance(nested.root, MapNode)
    data_entry = nested.root.entry("data")
    assert data_entry is not None and data_entry.key.span.file == main


def test_the_include_key_is_the_main_files_own(nested: LoadedWorkflow, tmp_path: Path) -> None:
    include = at(nested.root, "include")
    assert to_python(include) == ["datasets.yaml", "styles/styles.yaml"]
    assert include.span.file == str(tmp_path / "main.yaml")
    assert isinstance(nested.root, MapNode)
    assert nested.root.keys().count("include") == 1


def test_files_and_include_edges_are_recorded(nested: LoadedWorkflow, tmp_path: Path) -> None:
    assert list(nested.files) == [
        str(tmp_path / "main.yaml"),
        str(tmp_path / "datasets.yaml"),
        str(tmp_path / "common.yaml"),
        str(tmp_path / "styles" / "styles.yaml"),
    ]
    edges = [(ref.node.text, ref.node.span.file, ref.path) for ref in nested.includes]
    assert edges == [
        ("datasets.yaml", str(tmp_path / "main.yaml"), str(tmp_path / "datasets.yaml")),
        ("common.yaml", str(tmp_path / "datasets.yaml"), str(tmp_path / "common.yaml")),
        ("styles/styles.yaml", str(tmp_path / "main.yaml"), str(tmp_path / "styles" / "styles.yaml")),
    ]


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {
            "main.yaml": "include: sub/a.yaml\n",
            "sub/a.yaml": "include: ../b.yaml\nx: 1\n",
            "b.yaml": "y: 2\n",
        },
    )
    assert loaded.diagnostics == ()
    assert to_python(loaded.root) == {"y": 2, "x": 1, "include": "sub/a.yaml"}


def test_missing_include(tmp_path: Path) -> None:
    loaded = load(tmp_path, {"main.yaml": "version: 1.0\ninclude:\n  - nowhere.yaml\nx: 1\n"})
    (d,) = loaded.diagnostics
    assert (d.code, d.span.file, d.span.start, d.span.end) == (
        codes.INCLUDE_MISSING,
        str(tmp_path / "main.yaml"),
        Pos(2, 4),
        Pos(2, 16),
    )
    assert d.hint is not None and str(tmp_path / "nowhere.yaml") in d.hint
    assert to_python(loaded.root) == {"version": 1.0, "include": ["nowhere.yaml"], "x": 1}
    assert [ref.path for ref in loaded.includes] == [str(tmp_path / "nowhere.yaml")]


def test_cycle_is_reported_on_the_item_closing_the_loop(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {
            "main.yaml": "include: a.yaml\nm: 1\n",
            "a.yaml": "include: [b.yaml]\na: 1\n",
            "b.yaml": "include: main.yaml\n",
        },
    )
    cycle = [d for d in loaded.diagnostics if d.code == codes.INCLUDE_CYCLE]
    assert len(cycle) == 1
    assert (cycle[0].span.file, cycle[0].span.start) == (str(tmp_path / "b.yaml"), Pos(0, 9))
    assert "main.yaml -> a.yaml -> b.yaml -> main.yaml" in cycle[0].message
    assert to_python(loaded.root) == {"a": 1, "include": "a.yaml", "m": 1}


def test_a_file_including_itself(tmp_path: Path) -> None:
    loaded = load(tmp_path, {"main.yaml": "include: ./main.yaml\nm: 1\n"})
    (d,) = loaded.diagnostics
    assert (d.code, d.span.start) == (codes.INCLUDE_CYCLE, Pos(0, 9))


def test_errors_in_an_included_file_are_reported_there_and_on_the_include(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {
            "main.yaml": "version: 1.0\ninclude: [good.yaml, bad.yaml]\n",
            "good.yaml": "g: 1\n",
            "bad.yaml": "a: 1\nb: 2\na: 3\nlist: [1, 2\n",
        },
    )
    bad, main = str(tmp_path / "bad.yaml"), str(tmp_path / "main.yaml")
    in_bad = [(d.code, d.span.start) for d in loaded.diagnostics if d.span.file == bad]
    assert in_bad == [(codes.YAML_SYNTAX, Pos(4, 0))]
    (summary,) = [d for d in loaded.diagnostics if d.span.file == main]
    assert (summary.code, summary.span.start, summary.span.end) == (
        codes.INCLUDE_ERROR,
        Pos(1, 21),
        Pos(1, 29),
    )
    assert [(r.span.file, r.span.start) for r in summary.related] == [(bad, Pos(4, 0))]
    assert to_python(loaded.root) == {"g": 1, "version": 1.0, "include": ["good.yaml", "bad.yaml"]}


def test_duplicate_key_in_an_included_file(tmp_path: Path) -> None:
    loaded = load(tmp_path, {"main.yaml": "include: inc.yaml\n", "inc.yaml": "a: 1\nb: 2\na: 3\n"})
    inc = str(tmp_path / "inc.yaml")
    dup, summary = loaded.diagnostics
    assert (dup.code, dup.span.file, dup.span.start) == (codes.DUPLICATE_KEY, inc, Pos(2, 0))
    assert summary.code == codes.INCLUDE_ERROR
    assert [(r.span.file, r.span.start) for r in summary.related] == [(inc, Pos(2, 0))]
    assert to_python(loaded.root) == {"a": 1, "b": 2, "include": "inc.yaml"}


def test_errors_two_includes_down_reach_the_main_file(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {"main.yaml": "include: a.yaml\n", "a.yaml": "include: b.yaml\n", "b.yaml": "x: 'open\n"},
    )
    b = str(tmp_path / "b.yaml")
    by_file = {(d.span.file.rsplit("/", 1)[-1], d.code.id) for d in loaded.diagnostics}
    assert by_file == {("b.yaml", "FF001"), ("a.yaml", "FF005"), ("main.yaml", "FF005")}
    main_summary = next(d for d in loaded.diagnostics if d.span.file.endswith("main.yaml"))
    assert [r.span.file for r in main_summary.related] == [b]


def test_an_included_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    loaded = load(tmp_path, {"main.yaml": "include: list.yaml\nx: 1\n", "list.yaml": "- a\n- b\n"})
    codes_by_file = [(d.span.file.rsplit("/", 1)[-1], d.code) for d in loaded.diagnostics]
    assert codes_by_file == [("list.yaml", codes.NOT_A_MAPPING), ("main.yaml", codes.INCLUDE_ERROR)]
    assert to_python(loaded.root) == {"include": "list.yaml", "x": 1}


def test_a_file_included_twice_is_read_and_reported_once(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {
            "main.yaml": "include: [b.yaml, c.yaml]\n",
            "b.yaml": "include: d.yaml\n",
            "c.yaml": "include: d.yaml\n",
            "d.yaml": "l: [1]\nl: [2]\n",
        },
    )
    dups = [d for d in loaded.diagnostics if d.code == codes.DUPLICATE_KEY]
    assert len(dups) == 1
    assert (
        sum(1 for d in loaded.diagnostics if d.code == codes.INCLUDE_ERROR) == 4
    )  # b->d, c->d, main->b, main->c
    assert to_python(loaded.root) == {"l": [1, 1], "include": ["b.yaml", "c.yaml"]}


def test_a_wrong_include_value(tmp_path: Path) -> None:
    loaded = load(tmp_path, {"main.yaml": "include: [{a: 1}, 3]\n"})
    assert [(d.code, d.span.start) for d in loaded.diagnostics] == [
        (codes.PARAM_TYPE, Pos(0, 10)),
        (codes.PARAM_TYPE, Pos(0, 18)),
    ]


def test_a_reader_serves_open_buffers(tmp_path: Path) -> None:
    class Buffers:
        def __init__(self, texts: dict[str, str]) -> None:
            self.texts = texts
            self.asked: list[str] = []

        def read(self, path: str) -> str | None:
            self.asked.append(path)
            return self.texts.get(path)

    folder = tmp_path / "ws"
    reader = Buffers({str(folder / "inc.yaml"): "x: unsaved\n"})
    loaded = load_workflow("include: inc.yaml\n", str(folder / "main.yaml"), reader)
    assert reader.asked == [str(folder / "inc.yaml")]
    assert to_python(loaded.root) == {"x": "unsaved", "include": "inc.yaml"}


def test_an_editor_uri_as_the_main_file_name(tmp_path: Path) -> None:
    write(tmp_path, {"inc.yaml": "x: 1\n"})
    uri = (tmp_path / "main.yaml").as_uri()
    loaded = load_workflow("include: inc.yaml\n", uri)
    assert loaded.diagnostics == ()
    assert list(loaded.files) == [uri, str(tmp_path / "inc.yaml")]
    assert to_python(loaded.root) == {"x": 1, "include": "inc.yaml"}


def test_no_includes_returns_the_parsed_root(tmp_path: Path) -> None:
    loaded = load_workflow("a: 1\n", str(tmp_path / "main.yaml"))
    assert isinstance(loaded.root, MapNode) and to_python(loaded.root) == {"a": 1}
    assert loaded.includes == ()


def test_an_unparseable_main_file(tmp_path: Path) -> None:
    loaded = load_workflow("a: [\n", str(tmp_path / "main.yaml"))
    assert loaded.root is None
    assert [d.code for d in loaded.diagnostics] == [codes.YAML_SYNTAX]


def test_disk_reader(tmp_path: Path) -> None:
    (tmp_path / "crlf.yaml").write_bytes(b"a: 1\r\nb: 2\r\n")
    (tmp_path / "latin1.yaml").write_bytes(b"a: \xe9\n")
    reader = DiskReader()
    assert reader.read(str(tmp_path / "crlf.yaml")) == "a: 1\r\nb: 2\r\n", "line endings stay as in the file"
    assert reader.read(str(tmp_path / "latin1.yaml")) is None
    assert reader.read(str(tmp_path / "missing.yaml")) is None
    assert reader.read(str(tmp_path)) is None


def test_merged_trees_leave_the_parsed_files_unchanged(tmp_path: Path) -> None:
    """The same included tree serves every include of it: merging must not write into it."""
    loaded = load(
        tmp_path,
        {"main.yaml": "include: [a.yaml, a.yaml]\nl: [m]\n", "a.yaml": "l: [a]\nk: {x: 1}\n"},
    )
    assert to_python(loaded.root) == {"l": ["a", "a", "m"], "k": {"x": 1}, "include": ["a.yaml", "a.yaml"]}
    first, second = (at(loaded.root, "l", i) for i in (0, 1))
    assert isinstance(first, ScalarNode) and first is second


def test_include_errors_summarises_what_later_layers_find(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        {
            "main.yaml": "include: a.yaml\n",
            "a.yaml": "include: b.yaml\nk: 1\nk: 2\n",
            "b.yaml": "styles: {x: 1}\n",
        },
    )
    a, b = str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")
    (dup,) = [d for d in loaded.diagnostics if d.code == codes.DUPLICATE_KEY]
    later = error(codes.UNKNOWN_KEY, Span(b, Pos(0, 10), Pos(0, 11)), "unknown key 'x'")
    warned = warning(codes.UNKNOWN_KEY, Span(b, Pos(0, 8), Pos(0, 9)), "only a warning")
    everything = [d for d in loaded.diagnostics if d.code != codes.INCLUDE_ERROR] + [later, warned]
    summaries = include_errors(loaded, everything)
    by_item = {(s.span.file.rsplit("/", 1)[-1], s.span.start): [r.span for r in s.related] for s in summaries}
    assert by_item == {
        ("a.yaml", Pos(0, 9)): [later.span],  # a's include of b: b's error
        ("main.yaml", Pos(0, 9)): [dup.span, later.span],  # main's include of a: a's own and b's
    }
    assert all(s.code == codes.INCLUDE_ERROR and s.span.file != b for s in summaries)
    assert dup.span.file == a

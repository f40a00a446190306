"""Loading the registry: namespaces, profiles (built-in, file, package), plugins, caching."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest
from regtools import parse

from fasthep_flow.document import codes
from fasthep_flow.registry import KindGroup, Plugin, Registry, builtin_registry, load_registry
from fasthep_flow.registry import plugins as plugins_mod
from fasthep_flow.registry import registry as registry_mod
from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Str

DESIGN_EXAMPLE = Path(__file__).parent / "fixtures" / "design_example.yaml"


def test_namespaces_keep_same_named_source_and_sink_apart() -> None:
    reg, diags = load_registry(None)
    assert diags == []
    source, sink = reg.source("root_tree"), reg.stage_op("root_tree")
    assert source is not None and sink is not None
    assert (source.kind, sink.kind) == (OpKind.SOURCE, OpKind.SINK)
    assert source.param("tree").required and sink.param("path").required  # type: ignore[union-attr]
    assert reg.stage_op("toy") is None and reg.source("toy") is not None
    assert reg.render("hep.render.hist1d") is not None and reg.stage_op("hep.render.hist1d") is None
    assert reg.observer("hep.branches") is not None
    assert {s.kind for s in reg.lookup("parquet")} == {OpKind.SOURCE, OpKind.SINK}
    assert set(reg.ops_for(KindGroup.STAGES)) == set(reg.ops_for("stages")) == set(reg.stage_ops())
    assert set(reg.sinks()) == {"root_tree", "parquet"}


def test_functions_and_constants() -> None:
    reg, _ = load_registry(None)
    assert {"sqrt", "leading", "nth", "where", "count_nonzero", "num", "arctan2"} <= set(reg.functions)
    leading = reg.functions["leading"]
    assert (leading.min_args, leading.max_args) == (1, 2)
    assert leading.impl == "fasthep_flow.ops.core.functions_impl:leading"
    assert (reg.functions["where"].min_args, reg.functions["where"].max_args) == (3, 3)
    assert set(reg.constants) == {"pi", "e", "inf", "nan"}


def test_registry_is_immutable() -> None:
    reg, _ = load_registry(None)
    with pytest.raises(AttributeError):
        reg.functions = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        reg.stage_ops()["mine"] = reg.stage_op("hep.hist")  # type: ignore[index]


def test_repeated_loads_share_one_cached_registry_and_are_fast() -> None:
    root = parse("use: {profiles: [hep]}\nanalysis: {stages: []}\n")
    first, _ = load_registry(root)
    again, _ = load_registry(parse("use: {profiles: [hep]}\n"))
    assert first is again
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        load_registry(root)
    per_call = (time.perf_counter() - start) / n
    print(f"cached load_registry: {per_call * 1e6:.1f} µs per call")


@pytest.mark.parametrize(
    ("profiles", "has_hep", "has_render", "has_core"),
    [
        ("[basic]", False, False, True),
        ("[registry]", True, True, True),
        ("[hep]", True, True, True),
        ("hep_debug", True, True, True),
    ],
)
def test_builtin_profiles_choose_plugins(
    profiles: str, has_hep: bool, has_render: bool, has_core: bool
) -> None:
    reg, diags = load_registry(parse(f"use: {{profiles: {profiles}}}\n"))
    assert diags == []
    assert (reg.stage_op("hep.hist") is not None) is has_hep
    assert (reg.render("hep.render.hist1d") is not None) is has_render
    assert (reg.source("toy") is not None) is has_core


def test_hep_profiles_bring_defaults_and_the_debug_observer() -> None:
    hep, _ = load_registry(parse("use: {profiles: [hep]}\n"))
    assert hep.defaults == {"data": {"defaults": {"eventtype": "mc"}}}
    assert hep.observer_presets == ()
    debug, _ = load_registry(parse("use: {profiles: [hep_debug]}\n"))
    assert [dict(o) for o in debug.observer_presets] == [
        {"kind": "hep.schema_snapshot", "mode": "first_partition"}
    ]
    assert [p.name for p in debug.active_profiles] == ["hep_debug"]
    plain, _ = load_registry(None)
    assert plain.defaults == {} and [p.name for p in plain.active_profiles] == ["registry"]
    assert {"basic", "registry", "hep", "hep_debug"} <= set(plain.profiles)


def test_unknown_profile_is_ff111_on_its_node_with_a_suggestion() -> None:
    root = parse("use:\n  profiles: [hep, hep_debgu]\n")
    reg, diags = load_registry(root)
    assert [(d.code, d.span.start.line, d.span.start.col) for d in diags] == [(codes.UNKNOWN_PROFILE, 1, 18)]
    assert diags[0].hint == "did you mean 'hep_debug'?"
    assert reg.stage_op("hep.hist") is not None  # the known profile still applies


def test_design_example_loads_with_its_profile() -> None:
    root = parse(DESIGN_EXAMPLE.read_text(encoding="utf-8"), str(DESIGN_EXAMPLE))
    reg, diags = load_registry(root, DESIGN_EXAMPLE.parent)
    assert diags == []
    assert [p.name for p in reg.active_profiles] == ["hep_debug"]
    assert reg.observer_presets


def test_file_profile_relative_to_the_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the project root: found there, so no FF141
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "lab.yaml").write_text(
        textwrap.dedent(
            """\
            doc: Our lab's settings
            profiles: [basic]
            plugins: [render]
            defaults: {execution: {executor: threads}}
            observers: [{kind: hep.branches}]
            """
        ),
        encoding="utf-8",
    )
    root = parse("use: {profiles: [./profiles/lab.yaml]}\n", str(tmp_path / "wf.yaml"))
    reg, diags = load_registry(root, tmp_path)
    assert diags == []
    assert reg.source("toy") is not None and reg.render("hep.render.hist1d") is not None
    assert reg.stage_op("hep.hist") is None  # hep is neither in `basic` nor in `plugins`
    assert reg.defaults == {"execution": {"executor": "threads"}}
    assert [dict(o) for o in reg.observer_presets] == [{"kind": "hep.branches"}]
    assert reg.active_profiles[0].doc == "Our lab's settings"


def test_file_profile_problems_are_reported_in_the_profile_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    profile = tmp_path / "bad.yaml"
    profile.write_text("profiles: [hepp]\nplugin: [core]\n", encoding="utf-8")
    root = parse("use: {profiles: [./bad.yaml, ./missing.yaml]}\n", str(tmp_path / "wf.yaml"))
    _, diags = load_registry(root, tmp_path)
    got = {(d.code.id, Path(d.span.file).name, d.span.start.line, d.span.start.col) for d in diags}
    assert got == {
        ("FF111", "bad.yaml", 0, 11),  # unknown base profile, with a suggestion
        ("FF116", "bad.yaml", 1, 0),  # `plugin` for `plugins`
        ("FF113", "wf.yaml", 0, 17),  # the reference says the profile has errors
        ("FF111", "wf.yaml", 0, 29),  # missing file
    }
    by_code = {d.code.id + Path(d.span.file).name: d for d in diags}
    assert by_code["FF111bad.yaml"].hint == "did you mean 'hep'?"
    assert by_code["FF116bad.yaml"].hint == "did you mean 'plugins'?"
    assert len(by_code["FF113wf.yaml"].related) == 2


def test_relative_profile_without_a_folder_is_an_error() -> None:
    _, diags = load_registry(parse("use: {profiles: ./p.yaml}\n"), None)
    assert [d.code for d in diags] == [codes.UNKNOWN_PROFILE]
    assert "no folder" in diags[0].message


def test_package_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    pkg = site / "labprofiles"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "fast.yaml").write_text("plugins: [core]\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    workflow_dir = tmp_path / "work"
    workflow_dir.mkdir()
    monkeypatch.setitem(sys.modules, "labprofiles", None)  # so that the test leaves it unimported
    monkeypatch.delitem(sys.modules, "labprofiles")
    untrusted, diags = load_registry(parse("use: {profiles: ['labprofiles:fast']}\n"), workflow_dir)
    assert [d.code for d in diags] == [codes.UNTRUSTED]  # reading it imports the package: trust first
    assert "labprofiles" not in sys.modules
    assert [(u.what, u.ref) for u in untrusted.untrusted_code()] == [("profile", "labprofiles:fast")]
    reg, diags = load_registry(parse("use: {profiles: ['labprofiles:fast']}\n"), workflow_dir, trust=True)
    assert diags == []
    assert reg.source("toy") is not None and reg.stage_op("hep.hist") is None
    _, diags = load_registry(
        parse("use: {profiles: ['labprofiles:nope', 'nopkg_xyz:p']}\n"), workflow_dir, trust=True
    )
    assert [d.code for d in diags] == [codes.UNKNOWN_PROFILE, codes.UNKNOWN_PROFILE]
    assert "has no nope.yaml" in diags[0].message and "not installed" in diags[1].message


def test_package_profile_inside_the_workflow_folder_is_untrusted(tmp_path: Path) -> None:
    pkg = tmp_path / "localprof"
    pkg.mkdir()
    marker = tmp_path / "imported.txt"
    (pkg / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n", encoding="utf-8")
    (pkg / "p.yaml").write_text("plugins: [core]\n", encoding="utf-8")
    _, diags = load_registry(parse("use: {profiles: ['localprof:p']}\n"), tmp_path)
    assert [d.code for d in diags] == [codes.UNTRUSTED]
    assert not marker.exists()
    assert "localprof" not in sys.modules


def test_broken_and_clashing_third_party_plugins_become_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    clash = Plugin(
        "clash", ops=(OpSpec("hep.hist", OpKind.TRANSFORM, "an impostor", params=(Param("x", Str),)),)
    )
    extra = Plugin("extra", ops=(OpSpec("my.op", OpKind.TRANSFORM, "mine"),))
    module = type(sys)("fake_plugins_for_test")
    module.CLASH, module.EXTRA, module.NOT_A_PLUGIN = clash, extra, 42  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_plugins_for_test", module)
    refs = [
        ("hep", "fasthep_flow.ops.hep:PLUGIN"),  # a built-in: deduped
        ("broken", "nowhere:PLUGIN"),
        ("clash", "fake_plugins_for_test:CLASH"),
        ("extra", "fake_plugins_for_test:EXTRA"),
        ("junk", "fake_plugins_for_test:NOT_A_PLUGIN"),
    ]
    monkeypatch.setattr(plugins_mod, "entry_point_refs", lambda: refs)
    for cached in (plugins_mod.installed_plugins, registry_mod._known_profiles, registry_mod._registry_for):
        cached.cache_clear()
    try:
        root = parse("version: 1.0\nuse: {profiles: [registry]}\n")
        reg, diags = load_registry(root)
        assert reg.stage_op("my.op") is not None
        assert reg.stage_op("hep.hist").plugin == "hep"  # type: ignore[union-attr]  # first wins
        assert reg.plugins == ("core", "hep", "render", "clash", "extra")
        problems = {p.source.split(" ")[-1]: p.message for p in reg.problems}
        assert set(problems) == {"nowhere:PLUGIN", "fake_plugins_for_test:NOT_A_PLUGIN", "clash"}
        assert "ModuleNotFoundError" in problems["nowhere:PLUGIN"]
        assert "not a fasthep_flow Plugin" in problems["fake_plugins_for_test:NOT_A_PLUGIN"]
        assert "already provided by plugin 'hep'" in problems["clash"]
        assert {d.code for d in diags} == {codes.REGISTRY_LOAD}
        assert all(d.severity.label == "warning" and d.span.start.line == 1 for d in diags)
    finally:
        for cached in (
            plugins_mod.installed_plugins,
            registry_mod._known_profiles,
            registry_mod._registry_for,
        ):
            cached.cache_clear()


def test_builtin_registry_ignores_third_party_plugins() -> None:
    reg = builtin_registry()
    assert isinstance(reg, Registry)
    assert reg.plugins == ("core", "hep", "render")
    assert reg.problems == ()


def test_entry_points_are_remembered_per_state_of_the_import_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The scan result is cached on disk; installing into a folder on sys.path (its mtime moves) rescans."""
    import importlib.metadata

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setenv("FASTHEP_FLOW_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "path", [str(site)])
    scans: list[str] = []
    found = [EntryPointLike("mine", "my_pkg:PLUGIN")]

    def fake_entry_points(group: str) -> list[EntryPointLike]:
        scans.append(group)
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    assert plugins_mod.entry_point_refs() == [("mine", "my_pkg:PLUGIN")]
    assert plugins_mod.entry_point_refs() == [("mine", "my_pkg:PLUGIN")]
    assert len(scans) == 1  # the second answer came from the cache
    found.append(EntryPointLike("other", "other_pkg:PLUGIN"))
    (site / "other_pkg-1.0.dist-info").mkdir()  # an install adds a distribution
    assert plugins_mod.entry_point_refs() == [("mine", "my_pkg:PLUGIN"), ("other", "other_pkg:PLUGIN")]
    assert len(scans) == 2
    found.pop(0)
    entry_points_txt = site / "other_pkg-1.0.dist-info" / "entry_points.txt"
    entry_points_txt.write_text("[fasthep_flow.registry]\nother = other_pkg:PLUGIN\n")  # a reinstall
    assert plugins_mod.entry_point_refs() == [("other", "other_pkg:PLUGIN")]
    assert len(scans) == 3


class EntryPointLike:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

"""The verbs upstream FAST-HEP users know: `normalise`, `diff`, `show-defaults`, `inspect`, `init`.

Each keeps upstream's meaning where it makes sense; where ours differs (what is printed, where it goes) the
command's help text says so. Kept apart from `commands.py`, which holds the core verbs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any, trust_help: str, add_overrides: Any) -> None:
    """Register the verbs on the `fasthep-flow` sub-parser collection."""
    norm = sub.add_parser(
        "normalise",
        help="print the normalised workflow (includes merged, defaults filled in)",
        description=(
            "Print the normalised workflow as YAML: includes merged, profiles' defaults and op defaults "
            "filled in, implicit wiring made explicit. Upstream's `fasthep normalise` writes its own "
            "normalized.yaml; ours prints to stdout (or -o FILE) and refuses a workflow with errors, listing them."
        ),
    )
    norm.add_argument("workflow", metavar="WF", help="the workflow YAML file")
    norm.add_argument("-o", "--output", default=None, help="write to this file instead of stdout")
    norm.add_argument("--trust", action="store_true", help=trust_help)
    add_overrides(norm)

    diff = sub.add_parser(
        "diff",
        help="what changed between two workflows or two plans",
        description=(
            "Compare two workflows (YAML; compared after normalising, so formatting, comments, key order and "
            "include layout do not count) or two plan.json files written by `compile`. Prints one line per "
            "difference: `+` added, `-` removed, `~` changed. Exit status 0 when they are the same, 1 when "
            "they differ, 2 on a usage error (as diff(1))."
        ),
    )
    diff.add_argument("old", metavar="A", help="a workflow YAML file or a plan.json")
    diff.add_argument("new", metavar="B", help="a workflow YAML file or a plan.json")
    diff.add_argument("--trust", action="store_true", help=trust_help)

    defaults = sub.add_parser(
        "show-defaults",
        help="the defaults of an op's params (or of every op)",
        description=(
            "Print, as YAML, the value each param takes when a workflow leaves it out: for one op (NAME), or "
            "for every op of the registry. Upstream's verb prints its registry's default layers; ours prints "
            "the defaults our specs declare (the same ones `check` and the editor use)."
        ),
    )
    defaults.add_argument("name", nargs="?", metavar="NAME", help="an op, e.g. hep.hist")

    inspect = sub.add_parser(
        "inspect",
        help="the schema of input files: branches and their types",
        description=(
            "List the trees (TTree, RNTuple) of ROOT files, or the columns of Parquet files, with each "
            "branch's type and the number of entries, as a table (or JSON). Reads metadata only."
        ),
    )
    inspect.add_argument("files", nargs="+", metavar="FILE", help="ROOT or Parquet files")
    inspect.add_argument("--tree", default=None, help="only this tree (default: every tree)")
    inspect.add_argument("--format", choices=("table", "json"), default="table", help="output format")

    init = sub.add_parser(
        "init",
        help="write a new workflow from a template (it passes `check`)",
        description=(
            "Write a new workflow file from a template: `toy` (generated events, runs anywhere), `root` (a "
            "ROOT file: give --file and --tree, branches are read from the file) or `parquet`. The file "
            "passes `fasthep-flow check` as written. Refuses to overwrite an existing file."
        ),
    )
    init.add_argument(
        "path", nargs="?", default="workflow.flow.yaml", help="where to write (default: %(default)s)"
    )
    init.add_argument("--template", choices=("toy", "root", "parquet"), default="toy", help="template")
    init.add_argument("--file", default=None, help="the input file (root and parquet templates)")
    init.add_argument("--tree", default=None, help="the tree to read (root template; default: the first)")


# --- normalise ------------------------------------------------------------------------------------------------


def cmd_normalise(args: argparse.Namespace) -> int:
    import yaml

    from fasthep_flow.cli.commands import _compile_or_report, overrides_of

    result, status = _compile_or_report(args.workflow, args.trust, overrides_of(args))
    if result is None:
        return status
    text = yaml.safe_dump(result.workflow, sort_keys=False, allow_unicode=True)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


# --- diff -----------------------------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    sides = []
    for name in (args.old, args.new):
        data = _comparable(Path(name), args.trust)
        if data is None:
            return EXIT_USAGE
        sides.append(data)
    (kind_a, a), (kind_b, b) = sides
    if kind_a != kind_b:
        print(f"fasthep-flow: error: cannot compare a {kind_a} with a {kind_b}", file=sys.stderr)
        return EXIT_USAGE
    changes = list(differences(a, b))
    for line in changes:
        print(line)
    if not changes:
        print(f"no difference between the two {kind_a}s")
    return EXIT_ERRORS if changes else EXIT_OK


def _comparable(path: Path, trust: bool) -> tuple[str, Any] | None:
    """("plan", its data) for a plan.json, ("workflow", the normalised workflow) for a YAML file."""
    if not path.is_file():
        print(f"fasthep-flow: error: no such file: {path}", file=sys.stderr)
        return None
    if path.suffix == ".json":
        from fasthep_flow.plan import ExecutionPlan

        try:
            plan = ExecutionPlan.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"fasthep-flow: error: cannot read plan {path}: {exc}", file=sys.stderr)
            return None
        data = plan.to_dict()
        data["nodes"] = {n["id"]: n for n in data.get("nodes", [])}  # compare nodes by id, not position
        data.pop("hash", None)
        return "plan", data
    from fasthep_flow.cli.commands import _compile_or_report

    result, _status = _compile_or_report(str(path), trust)
    if result is None:
        return None
    workflow = dict(result.workflow or {})
    analysis = dict(workflow.get("analysis", {}))
    analysis["stages"] = {s.get("id"): s for s in analysis.get("stages", [])}  # by id: a move is no change
    workflow["analysis"] = analysis
    return "workflow", workflow


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """One line per leaf that differs, in a stable order: ``+ path: new``, ``- path: old``, ``~ path: a → b``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in b:
                yield f"- {where}: {_short(a[key])}"
            elif key not in a:
                yield f"+ {where}: {_short(b[key])}"
            else:
                yield from differences(a[key], b[key], where)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"~ {path}: {_short(a)} → {_short(b)}"


def _short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


# --- show-defaults --------------------------------------------------------------------------------------------


def cmd_show_defaults(args: argparse.Namespace) -> int:
    import yaml

    from fasthep_flow.registry import load_registry

    registry, _ = load_registry(None, None, False)
    specs = (
        list(registry.lookup(args.name)) if args.name else sorted(registry.all_ops(), key=lambda s: s.name)
    )
    if not specs:
        from fasthep_flow.registry.suggest import suggest

        best = suggest(args.name, sorted({s.name for s in registry.all_ops()}))
        hint = f" (did you mean '{best}'?)" if best else ""
        print(f"fasthep-flow: error: no op named '{args.name}'{hint}", file=sys.stderr)
        return EXIT_ERRORS
    out: dict[str, Any] = {}
    for spec in specs:
        key = spec.name if spec.name not in out else f"{spec.name} ({spec.kind})"
        out[key] = {p.name: _plain(p.default) for p in spec.params if p.has_default}
    sys.stdout.write(yaml.safe_dump(out, sort_keys=False, allow_unicode=True))
    return EXIT_OK


def _plain(value: Any) -> Any:
    from collections.abc import Mapping, Sequence

    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


# --- inspect --------------------------------------------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    failed = False
    for name in args.files:
        path = Path(name)
        try:
            rows.extend(_schema_rows(path, args.tree))
        except Exception as exc:
            print(f"fasthep-flow: error: cannot read {path}: {exc}", file=sys.stderr)
            failed = True
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
    return EXIT_ERRORS if failed else EXIT_OK


def _schema_rows(path: Path, only_tree: str | None) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFoundError("no such file")
    if path.suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        meta = pq.read_schema(path)
        entries = pq.ParquetFile(path).metadata.num_rows
        return [
            {"file": str(path), "tree": "", "branch": f.name, "type": str(f.type), "entries": entries}
            for f in meta
        ]
    import uproot

    rows = []
    with uproot.open(path) as f:
        for key, classname in f.classnames().items():
            tree = key.split(";")[0]
            if only_tree is not None and tree != only_tree:
                continue
            if classname == "TTree":
                obj = f[key]
                rows.extend(
                    {
                        "file": str(path),
                        "tree": tree,
                        "branch": b.name,
                        "type": str(b.interpretation.numpy_dtype if _flat(b) else b.typename),
                        "entries": int(obj.num_entries),
                    }
                    for b in obj.itervalues(recursive=True)
                )
            elif "RNTuple" in classname:
                obj = f[key]
                rows.extend(
                    {
                        "file": str(path),
                        "tree": tree,
                        "branch": field.name,
                        "type": str(_rntuple_type(field)),
                        "entries": int(obj.num_entries),
                    }
                    for field in obj.fields
                )
    if only_tree is not None and not rows:
        raise KeyError(f"no tree named '{only_tree}'")
    return rows


def _flat(branch: Any) -> bool:
    """A branch of one number per entry (its numpy dtype says it all); others show ROOT's type name."""
    try:
        dtype = branch.interpretation.numpy_dtype
        return dtype is not None and dtype.kind != "O" and not branch.typename.endswith("[]")
    except AttributeError:
        return False


def _rntuple_type(field: Any) -> str:
    for attr in ("typename", "type_name"):
        value = getattr(field, attr, None)
        if isinstance(value, str):
            return value
    return type(field).__name__


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("file", "tree", "branch", "type", "entries"):
        table.add_column(column, no_wrap=column != "type")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("file", "tree", "branch", "type", "entries")))
    Console(file=sys.stdout, width=160 if not sys.stdout.isatty() else None).print(table)


# --- init -----------------------------------------------------------------------------------------------------

_TOY = """\
# A new FAST-HEP workflow (fasthep-flow init). Check it with `fasthep-flow check {name}`,
# run it with `fasthep-flow run {name}`.
version: 1.0
sources:
  events: {{kind: toy, nevents: 100000, seed: 1}}
data:
  datasets:
    - {{name: toy, eventtype: mc}}
analysis:
  globals: {{iso_cut: 0.1}}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {{name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}}
          - {{name: NIsoMuon, reduce: {{op: count_nonzero, over: "(Muon_Iso / Muon_Pt) < iso_cut"}}}}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection: {{dimuon: ["NIsoMuon >= 2"]}}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{{name: pt, source: Muon_Pt, type: regular, bins: {{low: 0, high: 120, nbins: 60}}}}]
"""

_FILE = """\
# A new FAST-HEP workflow (fasthep-flow init) reading {file}.
# Check it with `fasthep-flow check {name}`, run it with `fasthep-flow run {name}`.
version: 1.0
data:
  datasets:
    - {{name: {dataset}, eventtype: mc, files: [{file}]}}
sources:
  events: {{kind: {kind}{tree}}}
analysis:
  stages:
    - id: {hist_id}
      op: hep.hist
      params:
        axes: [{{name: x, source: {branch}, type: regular, bins: {{low: {low}, high: {high}, nbins: 50}}}}]
"""


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists():
        print(
            f"fasthep-flow: error: {path} exists; choose another name (init never overwrites)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.template == "toy":
        text = _TOY.format(name=path.name)
    else:
        if not args.file:
            print(f"fasthep-flow: error: the {args.template} template needs --file", file=sys.stderr)
            return EXIT_USAGE
        made = _from_file(path, Path(args.file), args.template, args.tree)
        if made is None:
            return EXIT_ERRORS
        text = made
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}; next: fasthep-flow check {path}")
    return EXIT_OK


def _from_file(path: Path, data: Path, template: str, tree: str | None) -> str | None:
    """A workflow histogramming the first numeric, one-value-per-event branch of the file."""
    try:
        rows = _schema_rows(data, tree)
    except Exception as exc:
        print(f"fasthep-flow: error: cannot read {data}: {exc}", file=sys.stderr)
        return None
    numeric = [r for r in rows if any(t in r["type"] for t in ("float", "int", "double"))]
    if not numeric:
        print(f"fasthep-flow: error: {data} has no numeric branch to start from", file=sys.stderr)
        return None
    first = numeric[0]
    try:
        rel = data.resolve().relative_to(path.resolve().parent)
    except ValueError:
        rel = data.resolve()
    return _FILE.format(
        name=path.name,
        file=rel.as_posix(),
        dataset=_identifier(data.stem),
        kind="root_tree" if template == "root" else "parquet",
        tree=f", tree: {first['tree']}" if template == "root" else "",
        hist_id=_identifier(first["branch"]) + "Hist",
        branch=first["branch"],
        low=0,
        high=100,
    )


def _identifier(text: str) -> str:
    import re

    cleaned = re.sub(r"\W+", "_", text).strip("_") or "dataset"
    return cleaned if not cleaned[0].isdigit() else f"d_{cleaned}"

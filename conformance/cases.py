"""The conformance corpus: one folder per case under ``cases/``, read and materialised into a scratch folder.

A case folder holds ``case.yaml`` (what it covers and what is expected), the workflow (``workflow.yaml`` and any
file it includes, or a ``workshop.yaml`` recipe), and ``golden.json`` (upstream's products as figures, written
by ``record.py``). Materialising copies the case to ``<scratch>/<name>/`` beside a ``<scratch>/data`` link to the
data folder and replaces ``$DATA`` in every YAML file by that folder's absolute path, so cases run from any
checkout and relative-path cases (``../data/...`` or, with ``cwd: parent``, ``data/...``) see the same layout
the probes were written for.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from conformance import workshop

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
REPO_DIR = HERE.parent
DATA_TOKEN = "$DATA"
DATA_ENV = "FASTHEP_FLOW_TEST_DATA"


@dataclass(frozen=True)
class Case:
    """One conformance case as ``case.yaml`` describes it."""

    name: str
    folder: Path
    title: str
    rows: tuple[int, ...]
    origin: str
    expect: str
    """``clean`` (check gives no error), ``diagnostics`` (check gives ``diagnostics``) or ``any``."""
    diagnostics: tuple[str, ...] = ()
    """Expected diagnostics of ours as ``[file:]L:C CODE`` (file defaults to workflow.yaml)."""
    deviations: tuple[str, ...] = ()
    """Quantities not compared, each ``<quantity prefix> <deviation id>`` from docs/compatibility.md."""
    chunk_size: int | None = None
    cwd: str = "case"
    compare: bool = True
    reports: tuple[str, ...] = ()
    """Report outputs (paths relative to the output folder) whose text is compared with upstream's."""
    raw: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def recipe(self) -> dict[str, object] | None:
        path = self.folder / "workshop.yaml"
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None

    def golden(self) -> dict[str, object] | None:
        path = self.folder / "golden.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load(folder: Path) -> Case:
    raw = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8")) or {}
    diagnostics = tuple(str(d) for d in raw.get("diagnostics", []) or [])
    expect = str(raw.get("expect", "diagnostics" if diagnostics else "clean"))
    return Case(
        name=folder.name,
        folder=folder,
        title=str(raw.get("title", folder.name)),
        rows=tuple(int(r) for r in raw.get("rows", []) or []),
        origin=str(raw.get("origin", "")),
        expect=expect,
        diagnostics=diagnostics,
        deviations=tuple(str(d) for d in raw.get("deviations", []) or []),
        chunk_size=raw.get("chunk_size"),
        cwd=str(raw.get("cwd", "case")),
        compare=bool(raw.get("compare", True)),
        reports=tuple(str(r) for r in raw.get("reports", []) or []),
        raw=raw,
    )


def all_cases(root: Path = CASES_DIR) -> list[Case]:
    return [load(p) for p in sorted(root.iterdir()) if (p / "case.yaml").is_file()]


def data_dir() -> Path:
    """The folder of real input files: ``tests/data`` of the repository, else ``$FASTHEP_FLOW_TEST_DATA``."""
    in_repo = REPO_DIR / "tests" / "data"
    if (in_repo / "uproot-HZZ.root").is_file():
        return in_repo
    env = os.environ.get(DATA_ENV)
    if env and (Path(env) / "uproot-HZZ.root").is_file():
        return Path(env).resolve()
    raise FileNotFoundError(f"no data folder: expected tests/data/uproot-HZZ.root or ${DATA_ENV}")


class NeedsWorkshop(RuntimeError):
    """A ``t*`` case cannot be built because no fasthep-workshop checkout is available."""


def materialise(case: Case, scratch: Path, data: Path) -> Path:
    """Copy ``case`` into ``scratch/<name>`` ready to run; return the folder to run from (see ``cwd``)."""
    scratch.mkdir(parents=True, exist_ok=True)
    link = scratch / "data"
    if not link.exists():
        link.symlink_to(data, target_is_directory=True)
    dest = scratch / case.name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(case.folder, dest, ignore=shutil.ignore_patterns("golden.json", "case.yaml"))
    recipe = case.recipe
    if recipe is not None:
        checkout = workshop.workshop_dir()
        if checkout is None:
            raise NeedsWorkshop(
                f"{case.name}: set ${workshop.ENV} to a fasthep-workshop checkout (see README.md)"
            )
        workshop.materialise(recipe, dest, checkout)
    for path in dest.rglob("*.y*ml"):
        text = path.read_text(encoding="utf-8")
        if DATA_TOKEN in text:
            path.write_text(text.replace(DATA_TOKEN, str(data)), encoding="utf-8")
    return scratch if case.cwd == "parent" else dest


def workflow_arg(case: Case) -> str:
    """The workflow path as given on the command line, relative to the folder the case runs from."""
    return f"{case.name}/workflow.yaml" if case.cwd == "parent" else "workflow.yaml"

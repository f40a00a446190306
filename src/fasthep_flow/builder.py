"""Build a workflow in Python, turn it into the YAML the language reads, and back.

::

    from fasthep_flow.builder import Stage, Workflow

    wf = Workflow(
        sources={"events": {"kind": "toy", "nevents": 1000}},
        stages=[
            Stage("Vars", "hep.define", {"variables": [{"name": "Muon_Pt", "expr": "sqrt(Muon_Px**2)"}]}),
            Stage("MuonPt", "hep.hist", {"axes": [...]}),
        ],
    )
    compiled = wf.compile()        # a fasthep_flow.Workflow, checked by the same compiler as a file
    text = wf.to_yaml()

The builder holds plain data (stages as :class:`Stage` objects, everything else as dicts), so any workflow the
language accepts — including keys this module has no attribute for — goes YAML → objects → YAML unchanged up to
formatting. Checking writes the YAML and compiles it; each diagnostic is then told in Python terms
(``Stage('Dimuon').params['weight_expr']``), so a mistake points at the value given to the Python call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.document.diagnostics import Diagnostic, Severity

__all__ = ["Stage", "Workflow"]

_STAGE_KEYS = ("id", "op", "params", "needs", "from")
_TOP_ORDER = ("version", "include", "use", "data", "datasets", "sources", "joins", "primary_stream", "fields")


@dataclass
class Stage:
    """One stage. ``from_`` is the YAML key ``from``; any other stage key (``render``, ``write``,
    ``applies_to``, ``execution``, ...) goes in ``extra`` and is written as it is."""

    id: str
    op: str
    params: dict[str, Any] = field(default_factory=dict)
    needs: list[str] | None = None
    from_: str | list[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "op": self.op}
        if self.params:
            out["params"] = self.params
        if self.needs is not None:
            out["needs"] = list(self.needs)
        if self.from_ is not None:
            out["from"] = self.from_
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stage:
        extra = {k: v for k, v in data.items() if k not in _STAGE_KEYS}
        return cls(
            id=data.get("id"),  # type: ignore[arg-type]  # a missing id is the compiler's to report
            op=data.get("op"),  # type: ignore[arg-type]
            params=dict(data.get("params") or {}),
            needs=data.get("needs"),
            from_=data.get("from"),
            extra=extra,
        )

    def __repr__(self) -> str:
        return f"Stage({self.id!r})"


@dataclass
class Workflow:
    """A whole workflow. ``stages`` and ``globals`` are ``analysis.stages`` and ``analysis.globals``; other
    ``analysis`` keys go in ``analysis_extra``; top-level sections other than the named ones go in ``extra``."""

    stages: list[Stage] = field(default_factory=list)
    globals: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    styles: dict[str, Any] | None = None
    version: str | float | None = "1.0"
    """None writes no `version:` (as in an included file)."""
    workflows: dict[str, Any] | None = None
    """Named workflows, ``{name: {stages: [ids], extends: [names], doc: ...}}`` (docs/language.md)."""
    extra: dict[str, Any] = field(default_factory=dict)
    analysis_extra: dict[str, Any] = field(default_factory=dict)

    # -- to and from data -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {} if self.version is None else {"version": self.version}
        for key, value in (("sources", self.sources), ("data", self.data), ("styles", self.styles)):
            if value is not None:
                body[key] = value
        body.update(self.extra)
        analysis: dict[str, Any] = {}
        if self.globals:
            analysis["globals"] = self.globals
        if self.stages:
            analysis["stages"] = [s.to_dict() for s in self.stages]
        analysis.update(self.analysis_extra)
        if analysis:
            body["analysis"] = analysis
        if self.workflows is not None:
            body["workflows"] = self.workflows
        order = {k: i for i, k in enumerate(_TOP_ORDER)}
        return dict(sorted(body.items(), key=lambda kv: order.get(kv[0], len(order))))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Workflow:
        analysis = dict(data.get("analysis") or {})
        stages = analysis.pop("stages", None) or []
        globals_ = analysis.pop("globals", None) or {}
        named = {"version", "sources", "data", "styles", "analysis", "workflows"}
        return cls(
            stages=[Stage.from_dict(s) if isinstance(s, Mapping) else s for s in stages],
            globals=dict(globals_),
            sources=data.get("sources"),
            data=data.get("data"),
            styles=data.get("styles"),
            version=data.get("version"),
            workflows=data.get("workflows"),
            extra={k: v for k, v in data.items() if k not in named},
            analysis_extra=analysis,
        )

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=110)

    @classmethod
    def from_yaml(cls, text: str) -> Workflow:
        import yaml

        data = yaml.safe_load(text)
        if not isinstance(data, Mapping):
            raise ValueError("a workflow is a YAML mapping of sections")
        return cls.from_dict(data)

    @classmethod
    def read(cls, path: str | Path) -> Workflow:
        """One file's own content (its `include:` list is kept as written, not merged in)."""
        return cls.from_yaml(Path(path).read_text(encoding="utf-8"))

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path

    def stage(self, sid: str) -> Stage:
        for s in self.stages:
            if s.id == sid:
                return s
        raise KeyError(f"no stage {sid!r}; stages: {', '.join(str(s.id) for s in self.stages)}")

    def add(self, *stages: Stage) -> Workflow:
        """Append stages (returns the workflow, so calls chain)."""
        self.stages.extend(stages)
        return self

    # -- checking -------------------------------------------------------------------------------------
    def check(self, *, name: str = "<builder>", ops: Iterable[Any] = ()) -> list[Diagnostic]:
        """Every problem the compiler finds, each message prefixed with the Python place of the value.

        ``ops``: ``@fasthep_flow.op`` functions the stages may use (as for ``fasthep_flow.load``)."""
        from fasthep_flow.api import specs_of
        from fasthep_flow.compiler import CompileOptions, compile_text

        options = CompileOptions(check_inputs=True, ops=specs_of(ops))
        result = compile_text(self.to_yaml(), name, options)
        root = result.loaded.root
        return [_in_python_terms(d, root, self) if root is not None else d for d in result.diagnostics]

    def compile(self, overrides: Iterable[str] = (), *, ops: Iterable[Any] = ()) -> Any:
        """The compiled workflow (a ``fasthep_flow.Workflow``); raises ``WorkflowError`` listing every problem
        in Python terms."""
        from fasthep_flow.api import WorkflowError, loads

        ops = tuple(ops)
        problems = self.check(ops=ops)
        if any(d.severity is Severity.ERROR for d in problems):
            raise WorkflowError(problems, "the workflow built in Python has errors")
        return loads(self.to_yaml(), overrides, name="<builder>", ops=ops)


def _in_python_terms(d: Diagnostic, root: Any, wf: Workflow) -> Diagnostic:
    from dataclasses import replace

    path = _path_to(root, d.span.start)
    if not path:
        return d
    return replace(d, message=f"{_python_place(path, wf)}: {d.message}")


def _path_to(node: Any, pos: Any) -> list[str | int]:
    """Keys and indexes from the root to the deepest node whose span holds ``pos``."""
    from fasthep_flow.document.nodes import MapNode, SeqNode

    path: list[str | int] = []
    while True:
        if isinstance(node, MapNode):
            hit = next(
                (e for e in node.entries if e.key.span.contains(pos) or e.value.span.contains(pos)), None
            )
            if hit is None:
                return path
            path.append(hit.key.text)
            if hit.key.span.contains(pos):
                return path
            node = hit.value
        elif isinstance(node, SeqNode):
            found = next((i for i, item in enumerate(node.items) if item.span.contains(pos)), None)
            if found is None:
                return path
            path.append(found)
            node = node.items[found]
        else:
            return path


def _python_place(path: list[str | int], wf: Workflow) -> str:
    if path[:2] == ["analysis", "stages"] and len(path) >= 3 and isinstance(path[2], int):
        index = path[2]
        head = repr(wf.stages[index]) if index < len(wf.stages) else f"stages[{index}]"
        rest = path[3:]
        if rest and rest[0] in ("id", "op", "params", "needs"):
            head, rest = f"{head}.{rest[0]}", rest[1:]
        elif rest and rest[0] == "from":
            head, rest = f"{head}.from_", rest[1:]
        elif rest:
            head, rest = f"{head}.extra", rest
        return head + "".join(f"[{p!r}]" for p in rest)
    if path[:2] == ["analysis", "globals"]:
        return "Workflow.globals" + "".join(f"[{p!r}]" for p in path[2:])
    if path[0] in ("sources", "data", "styles", "version", "workflows"):
        return f"Workflow.{path[0]}" + "".join(f"[{p!r}]" for p in path[1:])
    return "Workflow.extra" + "".join(f"[{p!r}]" for p in path)

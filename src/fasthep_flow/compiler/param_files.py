"""Params given as the path of a YAML file (upstream's ``aliases: aliases.yaml`` for ``hep.project_fields``).

A param whose spec says ``from_file`` may be written as a string naming a YAML file; the file's content takes
its place in the tree before any other pass, so the schema, the data flow and the run see the mapping itself,
and a mistake inside the file is reported at its own line and column in that file. Reading the file is
reading data: nothing is imported or run. Paths resolve as input paths do (the project root, then beside the
workflow, FF141 when only the fallback exists). The tree the loader made is never changed: the stage, its
``params`` and the path back to the root are copied.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, error, warning
from fasthep_flow.document.input_paths import project_root, resolve_input
from fasthep_flow.document.loader import parse_yaml
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import LineIndex


def inline_param_files(
    root: Node | None, registry: Any, reader: Any, workflow_dir: Path | None, given_root: Path | None
) -> tuple[Node | None, list[Diagnostic], dict[str, LineIndex]]:
    """``root`` with every file-valued param replaced by its file's tree; the diagnostics of reading them and
    the line indexes of the files read (to show those diagnostics)."""
    analysis = root.get("analysis") if isinstance(root, MapNode) else None
    stages = analysis.get("stages") if isinstance(analysis, MapNode) else None
    if not isinstance(stages, SeqNode) or not isinstance(root, MapNode) or not isinstance(analysis, MapNode):
        return root, [], {}
    diagnostics: list[Diagnostic] = []
    files: dict[str, LineIndex] = {}
    items = [
        _stage(item, registry, reader, workflow_dir, given_root, diagnostics, files) for item in stages.items
    ]
    if all(new is old for new, old in zip(items, stages.items, strict=True)):
        return root, diagnostics, files
    new_stages = replace(stages, items=items)
    new_analysis = _with(analysis, "stages", new_stages)
    return _with(root, "analysis", new_analysis), diagnostics, files


def _stage(
    item: Node,
    registry: Any,
    reader: Any,
    workflow_dir: Path | None,
    given_root: Path | None,
    diagnostics: list[Diagnostic],
    files: dict[str, LineIndex],
) -> Node:
    if not isinstance(item, MapNode):
        return item
    op = item.get("op")
    params = item.get("params")
    spec = registry.stage_ops().get(op.text) if isinstance(op, ScalarNode) else None
    if spec is None or not isinstance(params, MapNode):
        return item
    entries: list[Entry] = []
    for entry in params.entries:
        param = spec.param(entry.key.text)
        value = entry.value
        if param is not None and param.from_file and isinstance(value, ScalarNode) and value.is_string:
            loaded = _load(value, reader, workflow_dir, given_root, diagnostics, files)
            if loaded is not None:
                entries.append(Entry(entry.key, loaded))
                continue
        entries.append(entry)
    if all(new.value is old.value for new, old in zip(entries, params.entries, strict=True)):
        return item
    return _with(item, "params", replace(params, entries=entries))


def _load(
    value: ScalarNode,
    reader: Any,
    workflow_dir: Path | None,
    given_root: Path | None,
    diagnostics: list[Diagnostic],
    files: dict[str, LineIndex],
) -> Node | None:
    found = resolve_input(value.text, project_root(given_root), workflow_dir)
    if found.note is not None:
        diagnostics.append(warning(codes.PATH_FALLBACK, value.span, found.note))
    text = reader.read(found.path)
    if text is None:
        diagnostics.append(
            error(
                codes.INPUT_UNREADABLE,
                value.span,
                f"cannot read '{value.text}' (looked for {found.path})",
                hint="give the path of a YAML file holding the value, from the project root or beside the workflow",
            )
        )
        return None
    loaded = parse_yaml(text, found.path)
    files[found.path] = loaded.index
    diagnostics.extend(loaded.diagnostics)
    if loaded.root is None and not loaded.diagnostics:
        diagnostics.append(error(codes.INPUT_UNREADABLE, value.span, f"'{value.text}' is empty"))
    return loaded.root


def _with(node: MapNode, key: str, value: Node) -> MapNode:
    """A copy of ``node`` whose entry ``key`` holds ``value`` (the first entry of that key, as ``get`` reads)."""
    done = False
    entries: list[Entry] = []
    for entry in node.entries:
        if not done and entry.key.text == key:
            entries.append(Entry(entry.key, value))
            done = True
        else:
            entries.append(entry)
    return replace(node, entries=entries)

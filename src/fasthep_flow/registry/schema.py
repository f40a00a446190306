"""JSON Schema (draft 2020-12) of the workflow language, generated from a registry's specs.

One schema serves three users: the compiler validates documents with it (errors mapped back to nodes), editors
without our server (yaml-language-server) get completion and hover from ``markdownDescription``, ``enum`` +
``enumDescriptions``, ``default`` and ``defaultSnippets``, and the committed ``schemas/workflow.schema.json``
documents the language. Per-op params are selected by ``op``/``kind`` with ``if``/``then`` inside ``allOf``.
The document's shape is written once, as types (``workflow_types.py``); this module renders it.

``python -m fasthep_flow.registry.schema --write`` regenerates the committed file from the built-in ops;
``--check`` exits 1 when it is stale (a test runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fasthep_flow.registry.workflow_types import workflow_types

if TYPE_CHECKING:
    from fasthep_flow.registry.registry import Registry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://fasthep-flow.readthedocs.io/en/latest/schemas/workflow.schema.json"
SCHEMA_FILE = ("schemas", "workflow.schema.json")
REFRESH_COMMAND = "python -m fasthep_flow.registry.schema --write"


def workflow_schema(registry: Registry) -> dict[str, Any]:
    """The whole workflow document for the ops of ``registry``, rendered from its types
    (``workflow_types.py``: the one description of the document, which the editor walks too)."""
    types = workflow_types(registry)
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "FAST-HEP workflow",
        "markdownDescription": types.doc,
        **types.root.json_schema(),
        "$defs": {d.name: d.type.json_schema() for d in types.defs},
    }


# --- the committed file -------------------------------------------------------------------------------------


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def committed_path() -> Path | None:
    from fasthep_flow.resources import repo_root

    root = repo_root()
    return root.joinpath(*SCHEMA_FILE) if root is not None else None


def builtin_schema_text() -> str:
    from fasthep_flow.registry.registry import builtin_registry

    return render(workflow_schema(builtin_registry()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fasthep_flow.registry.schema", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write schemas/workflow.schema.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed schema is stale")
    parser.add_argument("--path", type=Path, help="the schema file (default: the source checkout's)")
    args = parser.parse_args(argv)
    text = builtin_schema_text()
    if not (args.write or args.check):
        sys.stdout.write(text)
        return 0
    path = args.path or committed_path()
    if path is None:
        print("no source checkout found; pass --path", file=sys.stderr)
        return 2
    if args.write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current != text:
        print(f"{path} is stale; refresh it with: {REFRESH_COMMAND}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

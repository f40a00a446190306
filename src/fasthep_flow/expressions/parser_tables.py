"""Lark parsers of the shipped grammars, loaded from parse tables shipped beside them instead of built each run.

Building the LALR tables of the expression grammar is the largest single cost of a cold ``fasthep-flow check``
(about 0.1 s, a third of it on this project's machine), and every process — each check, the language server,
each run — paid it again. Lark's own ``cache=True`` is no answer: it keeps a pickle in the shared temporary
directory, where any local user could plant one, and loading a pickle runs code. So the tables are written
once, by ``python scripts/gen_parser_tables.py``, to ``grammar/<name>.tables.json``: plain
data (JSON), shipped and trusted like the grammar itself, and read with ``json`` — never unpickled.

A table file is used only when it was made from the very grammar text shipped beside it (its SHA-256) by the
very Lark version installed: anything else — an edited grammar, another Lark, a damaged file — and the parser
is built from the grammar as before, so the tables can make a parser faster to get, never different.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

from fasthep_flow.resources import shipped

GRAMMARS: dict[str, dict[str, Any]] = {
    "expression": {
        "parser": "lalr",
        "lexer": "basic",
        # Off on purpose: it only fills `Tree.meta`, and the builder makes no trees: every AST node takes its
        # offsets from the tokens, which always carry them. On, it costs ~10% of each parse.
        "propagate_positions": False,
        "maybe_placeholders": True,
    },
    "template": {
        "parser": "lalr",
        "lexer": "contextual",
        "propagate_positions": False,  # the builder takes every position from a token
        "maybe_placeholders": True,
    },
}
"""Each shipped grammar and the options its tables are built with (the options that shape the tables)."""


def lark_parser(name: str, **runtime: Any) -> Lark:
    """The parser of ``grammar/<name>.lark``; ``runtime`` options (``transformer``, ``postlex``) are those Lark
    lets a loaded parser take. From the shipped tables when they fit, else built from the grammar."""
    grammar = _grammar(name)
    loaded = _from_tables(name, grammar, runtime)
    if loaded is not None:
        return loaded
    return Lark(grammar, **GRAMMARS[name], **runtime)


def _grammar(name: str) -> str:
    return shipped("grammar", f"{name}.lark").read_text(encoding="utf-8")


def _fingerprint(grammar: str) -> str:
    return hashlib.sha256(grammar.encode("utf-8")).hexdigest()


def _int_keys(pairs: list[tuple[str, Any]]) -> dict[Any, Any]:
    """JSON objects back to Lark's dicts: its parse states and its memo are keyed by integers."""
    return {int(k) if k.isdigit() else k: v for k, v in pairs}


def _lark_version() -> str:
    import lark

    return str(lark.__version__)


def _from_tables(name: str, grammar: str, runtime: Mapping[str, Any]) -> Lark | None:
    try:
        path = shipped("grammar", f"{name}.tables.json")
        tables = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_int_keys)
    except (FileNotFoundError, OSError, ValueError):
        return None
    if not isinstance(tables, dict) or tables.get("grammar_sha256") != _fingerprint(grammar):
        return None
    if tables.get("lark") != _lark_version():
        return None
    try:
        return Lark._load_from_dict(tables["data"], tables["memo"], **runtime)
    except Exception:  # tables this Lark cannot read after all: build, as without them
        return None


def tables_for(name: str) -> dict[str, Any]:
    """The table file's content for ``grammar/<name>.lark`` with the installed Lark."""
    grammar = _grammar(name)
    parser = Lark(grammar, **GRAMMARS[name])
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    return {
        "grammar_sha256": _fingerprint(grammar),
        "lark": _lark_version(),
        "data": data,
        "memo": memo,
    }


def table_path(name: str) -> Path:
    return shipped("grammar", f"{name}.lark").with_name(f"{name}.tables.json")


def write_tables(names: Iterable[str] = tuple(GRAMMARS)) -> list[Path]:
    """Write the table files of ``names`` with the installed Lark (its state numbering is not stable from one
    build to the next, so write only what ``stale_tables`` names, to keep the files' history quiet)."""
    written = []
    for name in names:
        path = table_path(name)
        path.write_text(json.dumps(tables_for(name), sort_keys=True, separators=(",", ":")) + "\n", "utf-8")
        written.append(path)
    return written


def stale_tables() -> list[str]:
    """The grammars whose table file is missing, damaged, or made from another grammar text or Lark version."""
    stale = []
    for name in GRAMMARS:
        try:
            tables = json.loads(table_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stale.append(name)
            continue
        current = (
            tables.get("grammar_sha256") == _fingerprint(_grammar(name))
            and tables.get("lark") == _lark_version()
        )
        if not current:
            stale.append(name)
    return stale

"""Write the parse tables shipped beside the grammars (``grammar/<name>.tables.json``), or check them.

    python scripts/gen_parser_tables.py           # write the tables of the grammars whose tables are stale
    python scripts/gen_parser_tables.py --check   # exit 1 when a grammar's tables are stale

Tables are stale when their grammar text or the installed Lark version changed (see
``fasthep_flow/expressions/parser_tables.py``); a stale table file is never used, a parser is then built from
the grammar as without tables (slower, never different).
"""

from __future__ import annotations

import argparse
import sys

from fasthep_flow.expressions.parser_tables import GRAMMARS, stale_tables, table_path, write_tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report stale tables (exit 1 if any)")
    parser.add_argument("--all", action="store_true", help="write every grammar's tables, stale or not")
    args = parser.parse_args(argv)
    stale = stale_tables()
    if args.check:
        for name in stale:
            print(f"stale: {table_path(name)}; run `python scripts/gen_parser_tables.py`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_tables(GRAMMARS if args.all else stale):
        print(f"wrote {path}")
    if not stale and not args.all:
        print(f"the parse tables of {', '.join(GRAMMARS)} are current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

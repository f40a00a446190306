"""Output paths: checked and made safe (file formats of products are `product_files.py`).

Paths from the workflow are checked here at write time too (the compiler checks them statically): absolute
paths, ``..`` and the names the run itself uses are refused with ``FF307 output-path``. How the folder is
locked, staged and replaced is ``output_folder.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath, PureWindowsPath

from fasthep_flow.document import codes
from fasthep_flow.ops.failures import OpError
from fasthep_flow.runtime.folder_lock import LOCK_NAME

STAGING_PREFIX = ".fasthep-staging-"
RECORD_NAME = "run.json"
PLAN_NAME = "plan.json"
EVENTS_NAME = "events.jsonl"
"""One JSON object per node and partition: reused, recomputed or failed, seconds, events in and out."""
RESERVED = frozenset({RECORD_NAME, PLAN_NAME, EVENTS_NAME, LOCK_NAME})
"""Names the run itself writes at the top of the folder; a workflow output may not take them."""


def safe_relative(path: str | os.PathLike[str], what: str = "output") -> PurePosixPath:
    """The workflow's output path as a clean relative path, or an ``OpError`` (FF307) when it escapes."""
    text = os.fspath(path)
    hint = "output paths are relative to the output directory (--outdir) and stay inside it"
    if not text or not text.strip():
        raise OpError(codes.OUTPUT_PATH, f"{what} path is empty", hint)
    if (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or PureWindowsPath(text).drive
    ):
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' is absolute", hint)
    parts = [p for p in re.split(r"[\\/]", text) if p not in ("", ".")]
    if ".." in parts:
        raise OpError(
            codes.OUTPUT_PATH, f"{what} path '{text}' uses '..' to leave the output directory", hint
        )
    if not parts:
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' names no file", hint)
    rel = PurePosixPath(*parts)
    if rel.as_posix() in RESERVED or parts[0].startswith(STAGING_PREFIX):
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' is reserved for the run itself", hint)
    return rel


def with_tag(rel: PurePosixPath, tag: str | int) -> PurePosixPath:
    """``skim.root`` tagged ``3`` → ``skim.3.root``: one file per partition or per dataset."""
    return rel.with_name(f"{rel.stem}.{tag}{rel.suffix}")


def clean_key(text: str) -> str:
    """A name safe as a file name and a ROOT key."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text) or "_"

"""Where written event files land, as upstream FAST-HEP places them (LANGUAGE.md §9.20, §18).

Downstream jobs find a skim by its path, so the layout is upstream's: everything under ``artifacts/files/``;
the tokens ``{dataset}``, ``{part}``, ``{partition_id}`` and ``{node_id}`` are substituted; a token-free path
``x.root`` written per partition becomes ``artifacts/files/x/<dataset>/<part>.root``, where ``<part>`` is
``<file index>_<chunk index>`` within the dataset (``0_0`` for a dataset read in one piece).

A token-free path written ``when: dataset`` or ``when: final`` lands at ``artifacts/files/x.root`` itself: with
several datasets every dataset writes that one file and the last dataset's events remain, as upstream (``check``
warns, FF132: a ``{dataset}`` token in the path keeps each).

The result is still a workflow-relative path: ``with_path`` checks it stays inside the output folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from fasthep_flow.plan import Partition
from fasthep_flow.runtime.outputs import safe_relative

FILES_DIR = "artifacts/files"
TOKENS = ("dataset", "part", "partition_id", "node_id")
_TOKEN = re.compile(r"\{(" + "|".join(TOKENS) + r")\}")


def part_names(partitions: Sequence[Partition], files_of: Mapping[str, Sequence[str]]) -> dict[int, str]:
    """Partition index → ``<file index>_<chunk index>`` within its dataset, chunks counted in entry order."""
    names: dict[int, str] = {}
    chunks: dict[tuple[str, str | None], int] = {}
    for part in sorted(partitions, key=lambda p: p.index):
        files = list(files_of.get(part.dataset, ()))
        file_index = files.index(part.file) if part.file in files else 0
        key = (part.dataset, part.file)
        chunk = chunks.get(key, 0)
        chunks[key] = chunk + 1
        names[part.index] = f"{file_index}_{chunk}"
    return names


def placed(path: str, when: str, *, dataset: str | None, part: str | None, node_id: str) -> str:
    """The path (relative to the output folder) a writer's ``path`` param puts its file at.

    The workflow's own path is checked first (FF307 for ``..`` or an absolute path), so prefixing it can never
    turn an escaping path into an accepted one.
    """
    safe_relative(path)
    values = {
        "dataset": dataset or "all",
        "part": part or "all",
        "partition_id": f"{dataset or 'all'}_{part or 'all'}",
        "node_id": node_id,
    }
    if _TOKEN.search(path):
        return f"{FILES_DIR}/{_TOKEN.sub(lambda m: values[m.group(1)], path)}"
    rel = PurePosixPath(path.replace("\\", "/"))
    stem_dir = rel.parent / rel.stem
    if when == "partition":
        return f"{FILES_DIR}/{stem_dir / values['dataset'] / (values['part'] + rel.suffix)}"
    return f"{FILES_DIR}/{rel}"


def manifest_name(path: str, node_id: str) -> str:
    """The folder of a writer's manifest under ``artifacts/files/``: the path without its suffix (``skim`` for
    ``skim.root``, where its per-partition files are), or ``<stage>_<n>`` for a path with tokens (upstream's)."""
    if _TOKEN.search(path):
        parts = node_id.split(".")
        return "_".join(parts[1:]) if len(parts) > 1 else node_id
    rel = PurePosixPath(path.replace("\\", "/"))
    return (rel.parent / rel.stem).as_posix()

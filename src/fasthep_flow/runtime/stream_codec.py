"""Event streams as cache files: a JSON header, then the columns' raw buffers; never pickles.

NumPy columns are stored as their bytes with dtype and shape; awkward columns through ``ak.to_buffers`` (the
array's form as JSON, its length, and its flat buffers) and rebuilt with ``ak.from_buffers``: a stream read
back has the same columns, types and values as the one written, so an op downstream cannot tell the
difference. Reading maps the file and wraps the buffers without copying them.
"""

from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path
from typing import Any

from fasthep_flow.ops.contract import Events

MAGIC = b"FFSTREAM1\n"


def write_stream(events: Events, write: Any) -> None:
    """``write(bytes_parts)`` receives the file's pieces, in order."""
    import numpy as np

    header: dict[str, Any] = {"length": len(events), "columns": []}
    parts: list[memoryview] = []
    offset = 0

    def add(buffer: Any) -> list[int]:
        nonlocal offset
        data = np.ascontiguousarray(buffer)
        view = memoryview(data).cast("B")
        parts.append(view)
        start = offset
        offset += len(view)
        return [start, len(view)]

    for name, column in events.columns.items():
        if isinstance(column, np.ndarray):
            header["columns"].append(
                {
                    "name": name,
                    "kind": "numpy",
                    "dtype": column.dtype.str,
                    "shape": list(column.shape),
                    "at": add(column),
                }
            )
            continue
        import awkward as ak

        form, length, container = ak.to_buffers(column)
        buffers = {key: [np.asarray(buf).dtype.str, *add(buf)] for key, buf in container.items()}
        header["columns"].append(
            {"name": name, "kind": "awkward", "form": form.to_json(), "length": length, "buffers": buffers}
        )
    head = json.dumps(header).encode()
    write([MAGIC, struct.pack("<Q", len(head)), head, *parts])


def read_stream(path: Path) -> Events | None:
    """The stream in ``path``, or None when the file is not one ``write_stream`` wrote in full."""
    import numpy as np

    try:
        with open(path, "rb") as fh:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        if data[: len(MAGIC)] != MAGIC:
            return None
        (size,) = struct.unpack_from("<Q", data, len(MAGIC))
        start = len(MAGIC) + 8
        header = json.loads(bytes(data[start : start + size]))
        base = start + size

        def buffer(dtype: str, at: int, length: int) -> Any:
            if base + at + length > len(data):
                raise ValueError("truncated stream file")
            return np.frombuffer(
                data, dtype=np.dtype(dtype), count=length // np.dtype(dtype).itemsize, offset=base + at
            )

        columns: dict[str, Any] = {}
        for col in header["columns"]:
            if col["kind"] == "numpy":
                columns[col["name"]] = buffer(col["dtype"], *col["at"]).reshape(col["shape"])
            else:
                import awkward as ak

                container = {key: buffer(dtype, at, n) for key, (dtype, at, n) in col["buffers"].items()}
                columns[col["name"]] = ak.from_buffers(
                    ak.forms.from_json(col["form"]), col["length"], container
                )
        return Events(columns, int(header["length"]))
    except (ValueError, KeyError, TypeError, struct.error):
        return None

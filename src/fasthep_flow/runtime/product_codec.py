"""Products as cache blobs: histograms in the UHI JSON form, cutflows as their steps; never pickles.

A pickle in a shared cache folder would run code on load; these forms are plain data. Floats go through
``json`` (shortest round-tripping repr), so a product read back is bit-for-bit the one stored. A product of a
kind not listed here cannot be encoded (``None``): its node is simply not cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

FORMAT = 1


def encode_products(products: Mapping[str, Any]) -> bytes | None:
    """``{name: product}`` as bytes, or None if one of them has no plain-data form."""
    out: dict[str, Any] = {}
    for name, product in products.items():
        encoded = _encode(product)
        if encoded is None:
            return None
        out[name] = encoded
    return json.dumps({"format": FORMAT, "products": out}).encode()  # key order kept: it shows in outputs


def decode_products(data: bytes) -> dict[str, Any] | None:
    """The products ``encode_products`` wrote, or None when the bytes are not such a document."""
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            return None
        return {name: _decode(item) for name, item in doc["products"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _encode(product: Any) -> dict[str, Any] | None:
    from fasthep_flow.ops.hep.cutflow_product import Cutflow

    if isinstance(product, Cutflow):
        return {
            "type": "cutflow",
            "groups": [[g, [asdict(s) for s in steps]] for g, steps in product.groups.items()],
            "parents": {g: list(p) for g, p in product.parents.items()},
        }
    module = type(product).__module__.split(".", 1)[0]
    if module in ("hist", "boost_histogram"):
        from boost_histogram.serialization import to_uhi

        uhi = to_uhi(product)  # its writer info keeps traits such as a category axis's growth
        return {"type": "hist", "class": module, "uhi": _plain(uhi)}
    return None


def _decode(item: Mapping[str, Any]) -> Any:
    kind = item["type"]
    if kind == "cutflow":
        from fasthep_flow.ops.hep.cutflow_product import Cutflow, StepCounts

        groups = {g: tuple(StepCounts(**s) for s in steps) for g, steps in item["groups"]}
        return Cutflow(groups, {g: tuple(p) for g, p in item["parents"].items()})
    if kind == "hist":
        import numpy as np
        from boost_histogram.serialization import from_uhi

        uhi = dict(item["uhi"])
        storage = dict(uhi["storage"])
        for field in ("values", "variances", "sum_of_weights", "sum_of_weights_squared", "counts"):
            if field in storage:
                storage[field] = np.asarray(storage[field], dtype=float)
        uhi["storage"] = storage
        histogram = from_uhi(uhi)
        if item.get("class") == "hist":
            import hist

            return hist.Hist(histogram)
        return histogram
    raise ValueError(f"unknown product type {kind!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value

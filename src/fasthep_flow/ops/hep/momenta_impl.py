"""Four-vectors of a collection on `vector` + awkward: built from fields, read back as fields.

All kinematics (sums, masses, coordinate changes) is vector's; this module only maps workflow names
(``Jet`` + ``{pt: pt, ...}``) to columns and back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.ops.hep.momenta import COORDINATES, DEFAULT_INPUTS, QUANTITIES


def column(events: Events, name: str) -> Any:
    """A stream column, or a run error naming the closest field."""
    if name not in events:
        raise OpError(
            RUNTIME_MISSING_FIELD, f"field '{name}' is not in the stream", did_you_mean(name, events.columns)
        )
    return events[name]


def coordinates(inputs: Mapping[str, Any] | None) -> dict[str, str]:
    """The ``inputs`` param checked: vector coordinate → relative field name."""
    chosen = {str(k): str(v) for k, v in (inputs or DEFAULT_INPUTS).items()}
    unknown = [k for k in chosen if k not in COORDINATES]
    if unknown:
        raise OpError(
            PARAM_VALUE,
            f"'{unknown[0]}' is not a four-vector coordinate",
            did_you_mean(unknown[0], COORDINATES),
        )
    if len(chosen) != 4:
        raise OpError(PARAM_VALUE, f"a four-vector needs four coordinates, `inputs` gives {len(chosen)}")
    return chosen


def momenta(
    events: Events,
    collection: str,
    inputs: Mapping[str, Any] | None,
    extra: Sequence[str] = (),
    mask: Any = None,
) -> Any:
    """A jagged array of Momentum4D records for ``collection`` (plus ``extra`` fields, see ``carried``)."""
    import awkward as ak
    import vector

    vector.register_awkward()
    # float64: a float32 E² − p² of a light, energetic jet keeps too few digits for its mass.
    fields: dict[str, Any] = {
        coordinate: ak.values_astype(ak.Array(column(events, f"{collection}_{name}")), np.float64)
        for coordinate, name in coordinates(inputs).items()
    }
    for name in extra:  # under their own names: vector renames coordinates (`pt` is stored as `rho`)
        fields[carried(name)] = ak.Array(column(events, f"{collection}_{name}"))
    if mask is not None:
        fields = {k: v[mask] for k, v in fields.items()}
    try:
        return vector.zip(fields)
    except (TypeError, ValueError) as exc:
        raise OpError(
            PARAM_VALUE, f"'{collection}' has no four-vector from {sorted(fields)}: {exc}"
        ) from None


def carried(name: str) -> str:
    """The record field under which ``momenta`` carries the extra field ``name``."""
    return f"carried {name}"


def quantity(p4: Any, name: str) -> Any:
    """One quantity of a (jagged) array of four-vectors, as a plain awkward array."""
    import awkward as ak

    if name not in QUANTITIES:
        raise OpError(PARAM_VALUE, f"'{name}' is not a four-vector quantity", did_you_mean(name, QUANTITIES))
    value = getattr(p4, name)  # every name in QUANTITIES is a vector property
    return ak.without_parameters(value)

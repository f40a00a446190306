"""``@fasthep_flow.op``: a typed Python function becomes an op — a spec the compiler checks against, and the
implementation the runtime calls.

::

    # myops.py, beside the workflow
    from typing import Annotated, Literal

    import fasthep_flow

    @fasthep_flow.op("lab.scale", reads=("column",), writes=("output",))
    def scale(events, column: str, factor: Annotated[float, "Multiplies the column."] = 2.0,
              output: str = "Scaled", mode: Literal["mul", "div"] = "mul"):
        '''Scale a column by a constant.'''
        values = events[column]
        return {output: values * factor if mode == "mul" else values / factor}

The first parameter receives the event stream (:class:`~fasthep_flow.ops.contract.Events`); a parameter named
``ctx`` receives the :class:`~fasthep_flow.ops.contract.RunContext`; every other parameter is a param of the op,
typed by its hint (``registry/hints.py``) and required unless it has a default. Instead of separate parameters,
one parameter annotated with a dataclass takes the params as an instance of it. The function returns new
columns (a mapping), a new stream (``Events``), a ``StageResult``, or None (the stream unchanged).

A workflow uses it through ``registry: [{spec: "myops:scale"}]`` — imported only when the workspace is trusted,
like any code a workflow names — or, from Python, ``fasthep_flow.load(path, ops=[scale])``. ``reads`` and
``writes`` name the params that hold field names the op reads and writes (the spec's param paths), so the data
flow is checked as for built-in ops. The decorated object still calls the function directly, for tests.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.registry.hints import hints_of, params_from_dataclass, params_from_function
from fasthep_flow.registry.specs import OpKind, OpSpec, Port

__all__ = ["CustomOp", "op"]

_CONTEXT = "ctx"


class CustomOp:
    """A decorated function: ``spec`` for the registry, ``run(events, params, ctx)`` for the runtime."""

    def __init__(
        self, func: Callable[..., Any], spec: OpSpec, stream: str, params_class: type | None
    ) -> None:
        self.func = func
        self.stream = stream
        self.params_class = params_class
        names = list(inspect.signature(func).parameters)
        self.takes_context = _CONTEXT in names
        rest = [n for n in names if n not in (stream, _CONTEXT)]
        self.params_field = rest[0] if params_class is not None and rest else None
        """The parameter that takes a dataclass of params (dataclass form only)."""
        self.spec = spec
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<fasthep_flow op {self.spec.name!r} from {self.func.__module__}.{self.func.__qualname__}>"

    def run(self, events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
        """The runtime's transform contract (``ops/contract.py``), around the user's function."""
        names = [p.name for p in self.spec.params]
        given = {k: params[k] for k in names if k in params}  # the plan filled in the defaults
        extra: dict[str, Any] = {_CONTEXT: ctx} if self.takes_context else {}
        if self.params_class is not None:
            assert self.params_field is not None
            result = self.func(events, **{self.params_field: self.params_class(**given)}, **extra)
        else:
            result = self.func(events, **given, **extra)
        return _as_result(result, events, self.spec.name)


def _as_result(result: Any, events: Events, name: str) -> StageResult:
    if isinstance(result, StageResult):
        return result
    if result is None:
        return StageResult(None)
    if isinstance(result, Events):
        return StageResult(result)
    if isinstance(result, Mapping):
        return StageResult(events.with_columns({str(k): v for k, v in result.items()}))
    raise TypeError(
        f"op {name!r} returned {type(result).__name__}; return new columns (a mapping), Events, a StageResult "
        "or None"
    )


def op(
    name: str,
    *,
    doc: str | None = None,
    reads: Sequence[str] = (),
    writes: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], CustomOp]:
    """Make a transform op named ``name`` from the decorated function (see the module's documentation).

    ``doc`` defaults to the function's docstring. A hint the schema cannot express raises ``TypeError`` here,
    at import, so the mistake is reported where the op is defined.
    """

    def decorate(func: Callable[..., Any]) -> CustomOp:
        parameters = list(inspect.signature(func).parameters)
        if not parameters:
            raise TypeError(f"{func.__qualname__}: the first parameter receives the event stream")
        stream = parameters[0]
        rest = [p for p in parameters[1:] if p != _CONTEXT]
        hints = hints_of(func, rest[:1])
        params_class = None
        if len(rest) == 1 and dataclasses.is_dataclass(hints.get(rest[0])):
            params_class = hints[rest[0]]
            params = params_from_dataclass(params_class)
        else:
            params = params_from_function(func, skip=(stream, _CONTEXT))
        spec = OpSpec(
            name,
            OpKind.TRANSFORM,
            doc=inspect.cleandoc(doc or func.__doc__ or f"`{func.__qualname__}` (a Python op)."),
            params=params,
            inputs=(Port("events", "stream"),),
            outputs=(Port("events", "stream"),),
            reads=tuple(reads),
            writes=tuple(writes),
            impl=_impl_ref(func, name),
            plugin="python",
        )
        for path in (*spec.reads, *spec.writes):
            if spec.param(path.split("[", 1)[0].split("{", 1)[0]) is None:
                raise TypeError(f"{func.__qualname__}: reads/writes name '{path}', which is not a param")
        custom = CustomOp(func, spec, stream, params_class)
        if spec.impl and spec.impl.startswith(f"{__name__}:LOCAL."):
            setattr(LOCAL, spec.impl.rsplit(".", 2)[-2], custom)
        return custom

    return decorate


class _Local:
    """Ops defined inside a function (a test, a notebook cell's helper) or in ``exec``'d code have no import
    path: the runtime finds them here, in this process (serial and thread executors; a process pool or a Dask
    worker cannot)."""


LOCAL = _Local()


def _impl_ref(func: Callable[..., Any], name: str) -> str:
    """``module:qualname.run`` — the runtime imports it the way it imports built-in ops — when that path exists."""
    if "<locals>" not in func.__qualname__ and func.__module__ not in (None, "builtins"):
        return f"{func.__module__}:{func.__qualname__}.run"
    key = "op_" + "".join(c if c.isalnum() else "_" for c in name) + f"_{id(func):x}"
    return f"{__name__}:LOCAL.{key}.run"

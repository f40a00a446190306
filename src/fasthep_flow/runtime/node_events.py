"""What the per-node step reports: statistics, one event per node and partition, and tracing spans.

Events become the run folder's ``events.jsonl`` (one JSON object per line: node, partition, status, seconds,
events in and out). When ``opentelemetry-api`` is importable each node call is also a span named
``fasthep-flow.node`` (without an SDK configured the API's spans are no-ops); without it, nothing is imported.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class NodeStats:
    """One node's counts over one or more partitions; adds like every other product of a run."""

    events_in: int = 0
    events_out: int = 0
    seconds: float = 0.0
    calls: int = 0
    reused: int = 0
    """Partitions whose result came from the cache (no call, no time)."""

    def add_run(self, n_in: int, n_out: int, seconds: float, reused: bool = False) -> None:
        self.events_in += n_in
        self.events_out += n_out
        self.seconds += seconds
        if reused:
            self.reused += 1
        else:
            self.calls += 1

    def __add__(self, other: NodeStats) -> NodeStats:
        return NodeStats(
            self.events_in + other.events_in,
            self.events_out + other.events_out,
            self.seconds + other.seconds,
            self.calls + other.calls,
            self.reused + other.reused,
        )


def node_event(
    node: str, partition: int, status: str, seconds: float, n_in: int, n_out: int
) -> dict[str, Any]:
    return {
        "event": "node",
        "node": node,
        "partition": partition,
        "status": status,
        "seconds": seconds,  # rounded when written (events.jsonl): rounding costs more than a trivial op
        "events_in": n_in,
        "events_out": n_out,
    }


class _Span:
    """The span of one node call, or a stand-in that records nothing."""

    __slots__ = ("_span",)

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, status: str, n_in: int, n_out: int) -> None:
        if self._span is not None:
            self._span.set_attribute("fasthep_flow.status", status)
            self._span.set_attribute("fasthep_flow.events_in", n_in)
            self._span.set_attribute("fasthep_flow.events_out", n_out)


@functools.cache
def _tracer() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("fasthep_flow")


class _NoSpan:
    """The context of a node call when nothing traces: one shared object, entered and left for free (a
    generator-based context manager would cost more per node than a trivial op itself)."""

    __slots__ = ()
    span = _Span()

    def __enter__(self) -> _Span:
        return self.span

    def __exit__(self, *exc: object) -> None:
        return None


_NO_SPAN = _NoSpan()


def node_span(
    node: str, stage: str, dataset: str, partition: int
) -> contextlib.AbstractContextManager[_Span]:
    if _tracer() is None:
        return _NO_SPAN
    return _traced_span(node, stage, dataset, partition)


@contextlib.contextmanager
def _traced_span(node: str, stage: str, dataset: str, partition: int) -> Iterator[_Span]:
    tracer = _tracer()
    attributes = {
        "fasthep_flow.node": node,
        "fasthep_flow.stage": stage,
        "fasthep_flow.dataset": dataset,
        "fasthep_flow.partition": partition,
    }
    with tracer.start_as_current_span("fasthep-flow.node", attributes=attributes) as span:
        yield _Span(span)

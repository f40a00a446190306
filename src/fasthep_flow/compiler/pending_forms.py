"""Upstream forms we accept but whose effect arrives with later work: each gets FF140 at its key.

The check ⇒ run contract says no key is accepted and then silently ignored. `execution_hooks` and
upstream's execution backends are written by real workflows, so rejecting them would make those workflows fail
`check`; accepting them silently would make `check` lie. A warning at the key
says exactly what does not happen yet.
"""

from __future__ import annotations

from fasthep_flow.compiler.context import Context
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode

TOP_LEVEL = {
    "execution_hooks": "execution hooks are accepted but not run yet",
}
EXECUTION = {
    "backend": "upstream execution backends are not supported yet: use `executor` (or --executor)",
    "strategy": "upstream backend strategies are not supported yet: use `executor` (or --executor)",
    "profiles": "execution profiles are not supported yet",
    "resources": "resource classes are recorded, not acted on yet",
    "pools": "worker pools are not supported yet: use `workers`",
    "environment": "a worker environment is not supported yet",
    "staging": "input staging is not supported yet",
    "config": "backend `config` is not supported yet",
    "progress": "`execution.progress` is not supported yet: use --quiet",
}


def report_pending_forms(ctx: Context) -> None:
    for key, why in TOP_LEVEL.items():
        entry = ctx.root.entry(key)
        if entry is not None:
            ctx.report(codes.NOT_SUPPORTED_YET, entry.key, why, severity=Severity.WARNING)
    execution = ctx.root.get("execution")
    if isinstance(execution, MapNode):
        for entry in execution.entries:
            why = EXECUTION.get(entry.key.text)
            if why is not None:
                ctx.report(codes.NOT_SUPPORTED_YET, entry.key, why, severity=Severity.WARNING)

"""Backends: the same plan lowered onto other engines than fasthep-flow's own executors.

A layer after ``runtime`` (DESIGN §4): a backend reuses the runtime's steps, partitions and merges, and hands
the run a ready ``Executor``; only the CLI and the API import backends. ``hamilton`` runs every partition's
steps as the nodes of an Apache Hamilton driver.
"""

from __future__ import annotations

BACKEND_EXECUTORS = ("hamilton",)

__all__ = ["BACKEND_EXECUTORS"]

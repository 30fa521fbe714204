"""The five workloads in their running order, and the targets of a run.

Each workload module declares, together: ``ID`` and ``TITLE``; ``VARIANTS`` (stable id, label,
role); ``measure(settings)``, which returns a `WorkloadResult`; ``GOALS`` and ``judge(result,
workers)``, which turns the result into `Target`s. A workload that did not run (``--only``) gets
its goals reported as not measured.
"""

from __future__ import annotations

from mpbook.bench import counters, cpu, data, start, tiny
from mpbook.bench.records import Target, WorkloadResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

WORKLOADS = {module.ID: module for module in (start, cpu, tiny, data, counters)}


def targets(results: Mapping[str, WorkloadResult], workers: int) -> list[Target]:
    """Return every workload's targets, in running order: judged where it ran, else not measured."""
    found: list[Target] = []
    for name, module in WORKLOADS.items():
        if name in results:
            found += module.judge(results[name], workers)
        else:
            found += [goal.not_measured(workers=workers, workload=name) for goal in module.GOALS]
    return found

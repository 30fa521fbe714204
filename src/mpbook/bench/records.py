"""The benchmark's results as typed records, and their JSON form.

A workload declares its `Variant`s (each way it does its job) and its `Goal`s (what it must show).
Measuring a variant gives a `Measure`; a workload's run gives a `WorkloadResult`; judging a goal on
it gives a `Target`; a whole run is a `Report`, written to ``<stem>.json`` (schema 2).

Every variant and measure has a **stable id** (``pool_map_chunksize_1``): targets, plots and tests
find measures by id and role. The **label** ("Pool.map chunksize=1") is for display only, so
rewording one changes a table, never a result. The **role** says what a measure is compared as:
the book's recipe, a peer a user would pick instead, or a limit (a serial loop, memcpy).

Standard library only: spawned workers import the workload modules that import this one.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field

# For annotations only (postponed by the __future__ import): `typing` costs a spawned child time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

SCHEMA = 2  # 1: measures in nested dicts keyed by their labels (before issue 16)
RECIPE, PEER, LIMIT = "recipe", "peer", "limit"
ROLES = (RECIPE, PEER, LIMIT)
COMPARISONS = (">=", "<=")


@dataclass(frozen=True)
class Variant:
    """One way a workload does its job: a stable id, a label for display, and its role.

    The label may name the workload's facts in braces, filled in by `label_for`:
    ``"Pool({workers})"`` reads "Pool(2)" on two workers.
    """

    id: str
    label: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"variant {self.id!r}: role must be one of {ROLES}, got {self.role!r}")

    def label_for(self, facts: Mapping[str, Any]) -> str:
        """Return the label with the workload's facts filled in."""
        return self.label.format(**facts)


@dataclass(frozen=True)
class Measure:
    """The timed repetitions of one variant (seconds), with their median, min and max.

    `workers` is set where a workload measures the same variant on several pool sizes (``cpu``);
    `figures` holds what is derived from the median (speedup, GB/s, microseconds per task ...).
    """

    id: str
    label: str
    role: str
    repetitions: tuple[float, ...]
    median: float
    min: float
    max: float
    correct: bool = True
    workers: int | None = None
    figures: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        variant: Variant,
        times: Iterable[float],
        correct: bool = True,
        *,
        facts: Mapping[str, Any] | None = None,
        workers: int | None = None,
    ) -> Measure:
        """Return the measure of `variant` from its repetitions' times (rounded to 0.1 µs)."""
        times = list(times)
        if not times:
            raise ValueError(f"variant {variant.id!r} has no repetitions")
        return cls(
            id=variant.id,
            label=variant.label_for(facts or {}),
            role=variant.role,
            repetitions=tuple(round(t, 7) for t in times),
            median=round(statistics.median(times), 7),
            min=round(min(times), 7),
            max=round(max(times), 7),
            correct=bool(correct),
            workers=workers,
        )

    def with_figures(self, **figures: float) -> Measure:
        """Return a copy with more derived figures."""
        return dataclasses.replace(self, figures={**self.figures, **figures})

    @property
    def spread(self) -> float:
        """(max - min) / median: the noise this measure's own repetitions show."""
        return (self.max - self.min) / self.median if self.median > 0 else 0.0

    def to_json(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "label": self.label, "role": self.role}
        if self.workers is not None:
            data["workers"] = self.workers
        data.update(
            repetitions=list(self.repetitions),
            median=self.median,
            min=self.min,
            max=self.max,
            correct=self.correct,
            figures=dict(self.figures),
        )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Measure:
        return cls(**{**data, "repetitions": tuple(data["repetitions"]), "figures": dict(data["figures"])})


@dataclass(frozen=True)
class WorkloadResult:
    """What one workload measured: its measures in display order, its facts and its conditions.

    `facts` are the workload's sizes and side figures (tasks, workers, bytes, a chunksize, the Dask
    cluster's start); `load_average` how busy the machine was around it.
    """

    id: str
    description: str
    measures: tuple[Measure, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    load_average: Mapping[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        """True when every measured result equalled the expected one."""
        return all(m.correct for m in self.measures)

    def measure(self, measure_id: str, workers: int | None = None) -> Measure:
        """Return the measure with this id (and pool size, where the workload has several); else KeyError."""
        for m in self.measures:
            if m.id == measure_id and m.workers == workers:
                return m
        known = sorted({m.id for m in self.measures})
        raise KeyError(
            f"workload {self.id!r} has no measure {measure_id!r} (workers={workers}); it has {known}"
        )

    def select(self, *, role: str | None = None, workers: int | None = None) -> list[Measure]:
        """Return the measures of this role (any if None) and pool size, in display order."""
        return [m for m in self.measures if (role is None or m.role == role) and m.workers == workers]

    def with_conditions(self, duration_s: float, load_average: Mapping[str, Any]) -> WorkloadResult:
        return dataclasses.replace(self, duration_s=duration_s, load_average=dict(load_average))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "description": self.description,
            "facts": dict(self.facts),
            "measures": [m.to_json() for m in self.measures],
            "correct": self.correct,
            "duration_s": self.duration_s,
            "load_average": dict(self.load_average),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkloadResult:
        return cls(
            id=data["id"],
            description=data["description"],
            measures=tuple(Measure.from_json(m) for m in data["measures"]),
            facts=dict(data["facts"]),
            duration_s=data["duration_s"],
            load_average=dict(data["load_average"]),
        )


@dataclass(frozen=True)
class Target:
    """A goal judged on one run: the measured value, the threshold and whether it was met (None: not run)."""

    id: str
    description: str
    measured: float | None
    threshold: float | None
    comparison: str | None
    met: bool | None
    detail: str

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Goal:
    """What a workload must show, declared before anything is measured.

    `description` may name ``{workers}``. A goal whose threshold depends on the run (the noise of
    "at least as fast as the best peer") has threshold None and gets it when judged.
    """

    id: str
    description: str
    comparison: str
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.comparison not in COMPARISONS:
            raise ValueError(f"goal {self.id!r}: comparison must be one of {COMPARISONS}")

    def judge(self, measured: float, detail: str, *, workers: int, threshold: float | None = None) -> Target:
        """Return the target: `measured` held against the threshold (the goal's own unless given)."""
        limit = self.threshold if threshold is None else threshold
        if limit is None:
            raise ValueError(f"goal {self.id!r} needs a threshold from the run")
        met = measured >= limit if self.comparison == ">=" else measured <= limit
        return Target(
            self.id,
            self.description.format(workers=workers),
            round(measured, 4),
            round(limit, 4),
            self.comparison,
            met,
            detail,
        )

    def not_measured(self, *, workers: int, workload: str) -> Target:
        """Return the target of a workload that did not run: nothing measured, met is None."""
        return Target(
            self.id,
            self.description.format(workers=workers),
            None,
            None,
            None,
            None,
            f"not measured: workload {workload!r} did not run",
        )


@dataclass(frozen=True)
class Report:
    """A whole run: the environment, each workload's result, the targets, and the files written."""

    stem: str
    created: str
    environment: Mapping[str, Any]
    workloads: Mapping[str, WorkloadResult]
    targets: tuple[Target, ...]
    load_average: Mapping[str, Any]
    duration_s: float
    files: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """Return the JSON form (schema 2); chapter 06 reads its top-level keys and targets."""
        return {
            "schema": SCHEMA,
            "stem": self.stem,
            "created": self.created,
            "environment": dict(self.environment),
            "workloads": {name: w.to_json() for name, w in self.workloads.items()},
            "targets": [t.to_json() for t in self.targets],
            "load_average": dict(self.load_average),
            "duration_s": self.duration_s,
            "files": list(self.files),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """Return the report in `data`, the JSON form of schema 2; ValueError for another schema."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"a benchmark report of schema {data.get('schema')!r}; this reads {SCHEMA}")
        return cls(
            stem=data["stem"],
            created=data["created"],
            environment=dict(data["environment"]),
            workloads={name: WorkloadResult.from_json(w) for name, w in data["workloads"].items()},
            targets=tuple(Target(**t) for t in data["targets"]),
            load_average=dict(data["load_average"]),
            duration_s=data["duration_s"],
            files=tuple(data["files"]),
        )

"""Measure what each chapter needs: peak memory and CPU of its kernel and every process it starts.

    python tools/measure_memory.py                       # every chapter, as committed
    python tools/measure_memory.py notebooks/06-*.ipynb  # some chapters
    python tools/measure_memory.py --small               # with MPBOOK_SMALL=1 (smaller arrays)
    python tools/measure_memory.py --json memory.json    # also write the figures as JSON

The committed notebooks are never touched: notebooks/ (and benchmarks/results/, which chapter 06
reads) is copied to a scratch folder and each chapter runs there in a fresh kernel with nbclient, as
tools/run_notebooks.py runs it, with the learner's exercise folder in the scratch folder too.
While it runs, a thread samples every 0.1 s the kernel and all its descendants (pool workers, Dask's
scheduler and workers, managers, resource trackers):

- peak RSS: the sum of their resident sets, an upper bound (pages shared between processes,
  such as a shared-memory block or the Python libraries, count once per process);
- peak PSS (Linux): the same with each shared page divided among the processes that share it,
  the memory the chapter really takes from the machine; it is what INSTRUCTORS.md reports;
- /dev/shm (Linux): the most the chapter had in shared memory blocks at once, which a container's
  /dev/shm (64 MB unless the container is given more) must hold;
- CPU: CPU seconds of the kernel and its children (from getrusage once they have exited) over
  the wall time, the average number of cores the chapter kept busy.

Run it on a quiet machine for the CPU figures; memory barely depends on load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 600
SAMPLE_S = 0.1


class Sampler(threading.Thread):
    """Sample the memory of every descendant of this process until stopped; keep the peaks."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self.cell_at_peak: int | None = None
        self.current_cell: int | None = None
        self.has_pss = sys.platform.startswith("linux")
        self.shm_baseline = shm_used()
        self.peak_shm = 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.stopping.wait(SAMPLE_S):
            rss = pss = 0
            processes = me.children(recursive=True)
            for process in processes:
                try:
                    if self.has_pss:
                        info = process.memory_full_info()
                        rss += info.rss
                        pss += info.pss
                    else:
                        rss += process.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
            measure = pss if self.has_pss else rss
            if measure > (self.peak_pss if self.has_pss else self.peak_rss):
                self.cell_at_peak = self.current_cell
                self.peak_processes = len(processes)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_shm = max(self.peak_shm, shm_used() - self.shm_baseline)


def shm_used() -> int:
    """Return the bytes in use in /dev/shm (shared memory blocks, semaphores), 0 where there is none."""
    try:
        stat = os.statvfs("/dev/shm")
    except OSError:
        return 0
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def section_of(notebook, cell_index: int | None) -> str:
    """Return the `## ` heading the cell belongs to (the section where the peak happened)."""
    if cell_index is None:
        return "?"
    heading = "(before the first section)"
    for cell in notebook.cells[: cell_index + 1]:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    heading = line[3:].strip()
    return heading


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path) -> dict:
    """Run one chapter (already in the scratch folder); return its peaks, wall and CPU time."""
    notebook = nbformat.read(path, as_version=4)
    sampler = Sampler()
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=lambda cell, cell_index: setattr(sampler, "current_cell", cell_index),
    )
    cpu_before = children_cpu_s()
    started = time.perf_counter()
    sampler.start()
    try:
        client.execute()
    finally:
        sampler.stopping.set()
        sampler.join()
    wall = time.perf_counter() - started
    cpu = children_cpu_s() - cpu_before  # the kernel has exited and been waited for: its tree's CPU
    return {
        "chapter": path.stem,
        "peak_rss_mb": round(sampler.peak_rss / 2**20),
        "peak_pss_mb": round(sampler.peak_pss / 2**20) if sampler.has_pss else None,
        "processes_at_peak": sampler.peak_processes,
        "peak_dev_shm_mb": round(sampler.peak_shm / 2**20),
        "peak_in": section_of(notebook, sampler.cell_at_peak),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "average_cores": round(cpu / wall, 2) if wall else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters to run (default: all)")
    parser.add_argument("--small", action="store_true", help="set MPBOOK_SMALL=1 for the kernels")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    chapters = [p.name for p in args.notebooks] or sorted(
        p.name for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb")
    )

    scratch = Path(tempfile.mkdtemp(prefix="mpbook-memory-"))
    try:
        shutil.copytree(REPO / "notebooks", scratch / "notebooks")
        if (REPO / "benchmarks" / "results").is_dir():
            shutil.copytree(REPO / "benchmarks" / "results", scratch / "benchmarks" / "results")
        # the kernels inherit these: exercises and small arrays stay in the scratch copy
        os.environ["MPBOOK_EXERCISES_DIR"] = str(scratch / "exercises")
        os.environ.pop("MPBOOK_START_METHOD", None)
        if args.small:
            os.environ["MPBOOK_SMALL"] = "1"
        else:
            os.environ.pop("MPBOOK_SMALL", None)
        results = []
        print(
            f"{'chapter':<28} {'peak PSS':>9} {'peak RSS':>9} {'shm':>7} {'procs':>5} {'wall':>7} {'cores':>5}  peak in"
        )
        for name in chapters:
            result = measure(scratch / "notebooks" / name)
            results.append(result)
            pss = f"{result['peak_pss_mb']} MB" if result["peak_pss_mb"] is not None else "-"
            print(
                f"{result['chapter']:<28} {pss:>9} {result['peak_rss_mb']:>6} MB {result['peak_dev_shm_mb']:>4} MB "
                f"{result['processes_at_peak']:>5} {result['wall_s']:>6.0f}s {result['average_cores']:>5}"
                f"  {result['peak_in']}",
                flush=True,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "small": args.small,
                    "python": sys.version.split()[0],
                    "platform": sys.platform,
                    "usable_cpus": len(os.sched_getaffinity(0))
                    if hasattr(os, "sched_getaffinity")
                    else os.cpu_count(),
                    "memory_total_mb": round(psutil.virtual_memory().total / 2**20),
                    "chapters": results,
                },
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()

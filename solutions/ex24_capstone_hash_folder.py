"""Exercise 24 · Capstone: hash a folder (chapter 08-beyond-one-machine, section 10).

Compute the SHA-256 digest of every file under a folder with a pool of `workers` processes, the
way a real tool must: right digests, faster than one process when there are CPUs to spare, every
file that cannot be read reported (not the first failure raised), one deadline for the whole job,
and no process left running afterwards, whatever happened.

    parent: names = list_files(folder), or the names you are given
    parent --(folder, name), in chunks--> Pool(workers): hash_file --> ("ok", hex) or ("error", "Type: message")
    parent <--every outcome, within `timeout`-- ; too late: TimeoutError, the workers terminated
    --> {"digests": {name: hex}, "errors": {name: "Type: message"}}

Learning goals: the whole book in one job: a worker function a spawned child can import, a pool
with chunks, failures returned as data, a deadline and a clean shutdown, a speed-up you measure.
Out of scope: folders too large to list in memory; hashing one huge file in parallel; remote files.
Contract: list_files(folder) returns the sorted relative paths, with "/" separators, of every
regular file under folder, in subfolders too (no directories, no FIFOs). hash_file(folder, name)
returns ("ok", the hex SHA-256 of the file's bytes) or, for an OSError, ("error", "TypeName:
message"), reading BLOCK_BYTES at a time. hash_folder(folder, workers=2, names=None,
timeout=HASH_TIMEOUT_S) hashes list_files(folder), or `names` when given, in a pool of `workers`
processes and returns {"digests": {name: hex}, "errors": {name: "TypeName: message"}}, every name
in one of the two; past `timeout` seconds it raises TimeoutError; it leaves no process running.
Try it on mpbook.practice.sample_folder(count, size, seed), a folder of files it makes for you.
Try it: `mpbook try ex24`. Check it: `mpbook check ex24` (in a notebook: mpbook.check("ex24")).
Stuck: `mpbook hint ex24`.
"""

import hashlib
import math
import multiprocessing as mp
import os
from pathlib import Path

HASH_TIMEOUT_S = 600  # a default for a real folder; the checks pass their own, down to one second
BLOCK_BYTES = 1 << 20  # read 1 MB at a time: a file of any size hashes in little memory
CHUNKS_PER_WORKER = 4  # as Pool.map: several chunks per worker even out files of different sizes


def list_files(folder: str) -> list[str]:
    """Return the sorted relative paths ("docs/a.bin") of every regular file under folder, subfolders included."""
    root = Path(folder)
    # is_file() is False for directories, FIFOs and broken links: only what can be hashed
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def hash_file(folder: str, name: str) -> tuple[str, str]:
    """Return ("ok", hex SHA-256 of folder/name) or ("error", "TypeName: message") if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(os.path.join(folder, name), "rb") as file:  # bytes, never text: a digest is of the bytes
            while block := file.read(BLOCK_BYTES):
                digest.update(block)
    except OSError as exc:  # gone, a directory, no permission: data for the report, not a crash of the job
        return "error", f"{type(exc).__name__}: {exc}"
    return "ok", digest.hexdigest()


def hash_folder(
    folder: str, workers: int = 2, names: list | None = None, timeout: float = HASH_TIMEOUT_S
) -> dict:
    """Return {"digests": {name: hex}, "errors": {name: "TypeName: message"}} for every file, hashed by `workers` processes."""
    names = list_files(folder) if names is None else list(names)
    chunksize = max(1, math.ceil(len(names) / (CHUNKS_PER_WORKER * workers)))
    with mp.Pool(workers) as pool:  # leaving the block terminates the workers, one stuck in a read too
        outcomes = pool.starmap_async(hash_file, [(str(folder), name) for name in names], chunksize=chunksize)
        try:
            outcomes = outcomes.get(timeout=timeout)  # one deadline for the whole job
        except mp.TimeoutError:
            raise TimeoutError(f"hashing {len(names)} files took more than {timeout} s") from None
    report = {"digests": {}, "errors": {}}
    for name, (status, value) in zip(names, outcomes, strict=True):
        report["digests" if status == "ok" else "errors"][name] = value
    return report

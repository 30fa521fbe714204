"""ex24 · Capstone, hash a folder: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Capstone: hash a folder"
CHAPTER = "08-beyond-one-machine"
SECTION = "Capstone: hash a folder in parallel"
CONCEPT = "a whole job: importable worker, chunks, failures as data, one deadline, a clean shutdown, a measured speed-up"
TRY = "hash_folder(mpbook.practice.sample_folder(count=8, size=10_000), workers=2)"
HINTS = (
    (
        "Three small pieces. list_files: Path(folder).rglob('*'), keep path.is_file(), and "
        "path.relative_to(folder).as_posix(). hash_file runs in a worker, so it is a module-level function: "
        "open(path, 'rb'), read BLOCK_BYTES at a time into hashlib.sha256(), and catch OSError to return "
        "('error', f'{type(exc).__name__}: {exc}') instead of raising."
    ),
    (
        "One pool for the whole job, in a `with mp.Pool(workers) as pool:` block (leaving it terminates the "
        "workers, even one stuck reading). Send every (folder, name) with starmap_async and a chunksize of "
        "ceil(len(names) / (CHUNKS_PER_WORKER * workers)); take the outcomes with .get(timeout=timeout), once: "
        "that is the deadline for everything."
    ),
    (
        "get(timeout) raises multiprocessing.TimeoutError: turn it into TimeoutError (raise TimeoutError(...) "
        "from None) inside the `with` block, so the pool is terminated on the way out. Then zip names with the "
        "outcomes: ('ok', hex) goes to digests[name], ('error', text) to errors[name]. A ProcessPoolExecutor in "
        "a `with` block would wait, on the way out, for a worker stuck in a read: forever."
    ),
)

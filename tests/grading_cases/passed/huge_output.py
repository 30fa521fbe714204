# A correct answer that prints 10 MB first: the output is cut to the cap, and the test still passes.
# exercise: ex01
# run: first
# output: characters cut
import multiprocessing as mp

from mpbook.workers import sleep_and_return


def start_and_join(durations):
    print("x" * 10_000_000)
    processes = [mp.Process(target=sleep_and_return, args=(d,)) for d in durations]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=30)
    return [p.exitcode for p in processes]

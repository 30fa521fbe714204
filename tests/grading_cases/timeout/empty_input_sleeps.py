# A correct answer, except that it sleeps for an hour on an empty list: that test alone times out.
# exercise: ex01
# run: all
# deadline: 4
# only: test_empty_input
import multiprocessing as mp
import time

from mpbook.workers import sleep_and_return


def start_and_join(durations):
    if not durations:
        time.sleep(3600)
    processes = [mp.Process(target=sleep_and_return, args=(d,)) for d in durations]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=30)
    return [p.exitcode for p in processes]

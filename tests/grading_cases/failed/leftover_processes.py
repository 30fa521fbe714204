# Starts a process per duration and never joins them: they are killed, and the test fails saying so.
# exercise: ex01
# run: first
# deadline: 10
# says: still running
# says: join()
import multiprocessing as mp

from mpbook.workers import sleep_and_return


def start_and_join(durations):
    for _ in durations:
        mp.Process(target=sleep_and_return, args=(60,)).start()
    return [0] * len(durations)

# Joins a child that sleeps for an hour: the test hangs until the grader kills it.
# exercise: ex01
# run: first
# says: Usual causes
# platform: posix
import multiprocessing as mp

from mpbook.workers import sleep_and_return


def start_and_join(durations):
    child = mp.Process(target=sleep_and_return, args=(3600,))
    child.start()
    child.join()
    return [0]

# A pool's workers loop forever, so pool.map never returns.
# exercise: ex01
# run: first
# says: Usual causes
# platform: posix
import multiprocessing as mp


def spin(x):
    while True:
        pass


def start_and_join(durations):
    with mp.Pool(2) as pool:
        return pool.map(spin, range(4))

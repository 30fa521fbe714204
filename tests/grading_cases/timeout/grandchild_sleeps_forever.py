# Waits for a grandchild (not a multiprocessing one) that sleeps for an hour.
# exercise: ex01
# run: first
# says: Usual causes
# platform: posix
import subprocess
import sys


def start_and_join(durations):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)  # MARKER"]).wait()
    return [0]

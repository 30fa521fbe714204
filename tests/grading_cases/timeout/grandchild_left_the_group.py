# Waits for a grandchild that sleeps for an hour after leaving the process group with setsid.
# exercise: ex01
# run: first
# says: Usual causes
# platform: posix
import subprocess
import sys


def start_and_join(durations):
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(3600)  # MARKER"], start_new_session=True
    )
    child.wait()
    return [0]

# Calls sys.exit(0) instead of returning: an error, never a pass.
# exercise: ex01
# run: all
# says: called sys.exit(0)
import sys


def start_and_join(durations):
    sys.exit(0)

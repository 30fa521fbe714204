# Calls os._exit(0) instead of returning: an error, never a pass.
# exercise: ex01
# run: all
# says: os._exit()
# says: instead of exiting
import os


def start_and_join(durations):
    os._exit(0)

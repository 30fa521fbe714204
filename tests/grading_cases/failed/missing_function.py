# Renamed the function the checks call: the message names it and says how to restore the file.
# exercise: ex01
# run: all
# says: has no `start_and_join`
# says: mpbook reset


def start_and_joins(durations):
    return []

# Misses the colon after the def line: nothing runs, every test is an error naming the file and line.
# exercise: ex01
# run: all
# problem: ex01_start_and_join.py line 5:
def start_and_join(durations)
    return []

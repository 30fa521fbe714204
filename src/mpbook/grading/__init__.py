"""The exercise book's grader: the catalogue, the isolated runner, and the learner's workspace.

Not imported by `mpbook/__init__.py`: spawned children never need it.
"""

"""The exercises of the book, one folder each; catalogue.ORDER gives their order.

    exNN_slug/__init__.py   what ties the exercise to the book, and what to say to someone stuck:
                            TITLE      "Stop everyone on the first hit"
                            CHAPTER    "03-shared-state" (the notebook's name without .ipynb)
                            SECTION    the section's title as in the chapter's heading, without its
                                       number: "`Event`: stop everyone on the first failure"
                            CONCEPT    one line: what the exercise practises
                            HINTS      two or three, gentlest first: `mpbook hint exNN` shows the next
                            TRY        what `mpbook try exNN` runs, evaluated in the learner's module:
                                       "start_and_join([0.2, 0.2])"; `mpbook.x` and standard modules
                                       such as `concurrent.futures.X` are imported for it. For a
                                       script exercise (checks.py says IMPORTS_EXERCISE = False) it is
                                       the script's command-line arguments: "spawn".
    exNN_slug/stub.py       what the learner gets, copied to exercises/exNN_slug.py: the task, the
                            learning goals and the contract in its docstring, the solution's imports
                            at the top (exactly the same lines, and no `# noqa: F401`: pyproject.toml
                            ignores F401 in stubs), one short `# TODO:` per function to write, and
                            `raise NotImplementedError(...)` in each; its first line is written by
                            `python tools/exercise_table.py` from TITLE, CHAPTER and the section's number
    exNN_slug/checks.py     test_* functions, each with a one-sentence docstring, @points(n) and,
                            past 20 s, @deadline(s); an untouched stub must score 0 on every test
    solutions/exNN_slug.py  (at the top of the book) the reference: the stub's docstring, imports,
                            public names and signatures, solved; `mpbook verify` holds it to the stub
    solutions/wrong/exNN_slug/<what_it_breaks>.py   usual wrong answers, each opening with a line
                            "# breaks: <what> — caught by test_name"; `mpbook verify --wrong-answers` and
                            tests/test_wrong_answers.py run that test on it (mpbook.grading.wrong) and
                            expect it to fail (a file naming no test must lose points)

Nothing here is imported by a spawned worker: check modules run in the grader's child process only.
"""

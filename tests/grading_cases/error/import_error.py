# Imports a module that does not exist: every test is an error that names the exception, not a traceback dump.
# exercise: ex01
# run: all
# says: importing ex01_start_and_join.py failed
# says: ModuleNotFoundError
import no_such_module_mpbook  # noqa: F401

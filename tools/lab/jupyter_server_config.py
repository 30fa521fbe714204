"""JupyterLab's settings under `make lab`, which puts this folder first on JUPYTER_CONFIG_PATH.

A terminal opened in JupyterLab must find the book's `mpbook` and `python`. By default it runs
$SHELL, as a login shell when JupyterLab has no terminal of its own, and a login shell resets PATH
from /etc/profile: the book's .venv is lost. So terminals run bash with terminal.bashrc (beside
this file), which reads the learner's own ~/.bashrc and then activates the venv that runs
JupyterLab, as `source .venv/bin/activate` would.
"""

import os
import shutil
import sys

c = get_config()  # noqa: F821 -- traitlets defines get_config() in the namespace it runs this file in

_bash = shutil.which("bash")
if _bash and os.name != "nt":  # Windows terminals run PowerShell, and `make lab` needs a POSIX shell anyway
    # The terminal's environment is a copy of this server's: the venv to activate travels in it.
    os.environ["MPBOOK_VENV"] = sys.prefix
    _rcfile = os.path.join(os.path.dirname(os.path.abspath(__file__)), "terminal.bashrc")
    c.ServerApp.terminado_settings = {"shell_command": [_bash, "--rcfile", _rcfile, "-i"]}

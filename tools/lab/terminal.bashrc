# The start-up file of a JupyterLab terminal under `make lab` (jupyter_server_config.py, beside it).
# First the learner's own settings, then the book's venv in front of PATH: `mpbook` and `python` are the book's.
if [ -f "$HOME/.bashrc" ]; then
    . "$HOME/.bashrc"
fi
if [ -n "$MPBOOK_VENV" ] && [ -f "$MPBOOK_VENV/bin/activate" ]; then
    . "$MPBOOK_VENV/bin/activate"
elif [ -n "$MPBOOK_VENV" ]; then
    export VIRTUAL_ENV="$MPBOOK_VENV"
    export PATH="$MPBOOK_VENV/bin:$PATH"
fi

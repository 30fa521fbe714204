"""`python -m mpbook` runs the mpbook command (same as the `mpbook` console script)."""

from mpbook.cli import main

raise SystemExit(main())

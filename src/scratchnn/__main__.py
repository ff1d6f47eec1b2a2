"""Make ``python -m scratchnn`` run the ``scratchnn`` command line."""

from scratchnn.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

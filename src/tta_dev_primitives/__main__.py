"""`python -m tta_dev_primitives ...`: the `tta-primitives` command, where console scripts are
not on PATH (a bare virtualenv, `pipx run`, CI images)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

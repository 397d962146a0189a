"""``python -m core.eval``: see core/eval/cli.py."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

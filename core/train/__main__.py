"""``python -m core.train``: see core/train/loop.py."""

from .loop import main

if __name__ == "__main__":
    raise SystemExit(main())

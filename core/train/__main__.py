"""``python -m core.train``: see core/train/loop.py."""

from .loop import main

raise SystemExit(main())

"""``python -m core.eval``: see core/eval/cli.py."""

from .cli import main

raise SystemExit(main())

"""Start the worker: ``python -m core.worker`` with the add-on root as the working directory, or
``python <addon_root>/core/worker`` (this folder, or this file) from anywhere: the add-on folder may have any name."""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a script: import the add-on's core as the package "core" so the relative imports work (PEP 366), and
    # drop this folder from sys.path so nothing in it can shadow a top-level module.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent.parent))
    __package__ = "core.worker"
    import core.worker  # noqa: F401  (registers the package for the relative import below)

from .server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

"""One OpenBLAS thread for NumPy in a capture process (the CLI, the worker), set before NumPy loads.

OpenBLAS reads ``OPENBLAS_NUM_THREADS`` once, when NumPy first imports it. Its own threads gain nothing at the NumPy
lifter's sizes (a 7 s clip's lift: 0.25 s with one thread or two), while the lifter's two flip-TTA passes in two
Python threads with one BLAS thread each take 0.15 s (``core.numpy_layers.NumpyModel.predict``; with two BLAS threads
each they oversubscribe the cores: 0.22 s); the 2D helper processes inherit the setting and have a core each anyway
(approximate, the 2-core machine). torch keeps its own thread settings.
"""

from __future__ import annotations

import os

ENV = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> None:
    """Ask for one OpenBLAS thread unless the user set a number; effective only before NumPy is imported."""
    os.environ.setdefault(ENV, "1")

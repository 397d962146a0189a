"""Training of the lifters: configuration (``config``), the loop and its CLI (``loop``: ``python -m core.train``),
resumable state (``state``), per-epoch validation (``validation``), schedules and the Ranger optimiser."""

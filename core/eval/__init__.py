"""Evaluation of the lifters: whole-sequence metrics on held-out mocap and its CLI (``cli``: ``python -m core.eval``),
report and model-card formatting (``report``), and the real-video yardstick against MediaPipe (``real_video``)."""

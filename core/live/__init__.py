"""Live mode (docs/live.md): a camera, or a video file standing in for one, driving a pose in real time.

``session``: one live session and the worker's controller; ``source``: the camera/file and its newest-frame grabber;
``post``: causal world post-processing per frame; ``take``: a recorded take (bpy-free, also used by the add-on).
What live mode shares with capture (errors, options, weights and device choice) stays flat in core/.
"""

from .session import LiveController, run_live

__all__ = ["LiveController", "run_live"]

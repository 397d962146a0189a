"""Contact sheet of a capture: video frames with the detected 2D skeleton beside the baked 3D armature (matplotlib).

bpy-free: the caller passes the armature's evaluated joint positions (operators.bake.armature_joints).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")  # headless: never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from core.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT  # noqa: E402

_COLORS = {"left": "tab:blue", "right": "tab:red", "centre": "0.2"}


def _side(child: int) -> str:
    return "left" if child in H36M_LEFT else "right" if child in H36M_RIGHT else "centre"


def read_frames(video: Path, indices: Sequence[int]) -> list[np.ndarray]:
    """RGB frames at the given 0-based indices (decoded sequentially: seeking is unreliable in some codecs)."""
    wanted = set(int(i) for i in indices)
    frames: dict[int, np.ndarray] = {}
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video}")
    index = 0
    try:
        while len(frames) < len(wanted):
            ok, frame = cap.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
    finally:
        cap.release()
    missing = sorted(wanted - set(frames))
    if missing:
        raise ValueError(f"{video.name}: frames {missing} could not be decoded")
    return [frames[int(i)] for i in indices]


def contact_sheet(out: Path, images: Sequence[np.ndarray], joints_2d: np.ndarray, joints_3d: np.ndarray,
                  labels: Sequence[str], title: str) -> Path:
    """Write a PNG with one row per frame: the image with its 2D skeleton, then the 3D skeleton from a fixed view.

    Args: images: N RGB frames; joints_2d (N, 17, 2) px; joints_3d (N, 17, 3) Blender world (Z up, metres).
    """
    n = len(images)
    fig = plt.figure(figsize=(7.5, 3.6 * n), dpi=100)
    lo, hi = joints_3d.reshape(-1, 3).min(0), joints_3d.reshape(-1, 3).max(0)
    centre, radius = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 0.5)
    for row in range(n):
        ax = fig.add_subplot(n, 2, 2 * row + 1)
        ax.imshow(images[row])
        for parent, child in H36M_BONES:
            p, c = joints_2d[row, parent], joints_2d[row, child]
            ax.plot([p[0], c[0]], [p[1], c[1]], color=_COLORS[_side(child)], lw=2)
        ax.scatter(joints_2d[row, :, 0], joints_2d[row, :, 1], s=6, color="yellow", zorder=3)
        ax.set_title(labels[row], fontsize=9)
        ax.axis("off")
        ax3 = fig.add_subplot(n, 2, 2 * row + 2, projection="3d")
        for parent, child in H36M_BONES:
            p, c = joints_3d[row, parent], joints_3d[row, child]
            ax3.plot([p[0], c[0]], [p[1], c[1]], [p[2], c[2]], color=_COLORS[_side(child)], lw=2.5)
        # The floor (z = 0) under the whole take, for a sense of height and travel.
        gx, gy = np.meshgrid(np.linspace(centre[0] - radius, centre[0] + radius, 5),
                             np.linspace(centre[1] - radius, centre[1] + radius, 5))
        ax3.plot_wireframe(gx, gy, np.zeros_like(gx), color="0.8", lw=0.5)
        ax3.set_xlim(centre[0] - radius, centre[0] + radius)
        ax3.set_ylim(centre[1] - radius, centre[1] + radius)
        ax3.set_zlim(0.0, 2 * radius)
        ax3.set_box_aspect((1, 1, 1))
        ax3.view_init(elev=12, azim=-70)  # fixed camera: front-left, slightly above (Blender front = -Y)
        ax3.set_xlabel("x (m)", fontsize=7)
        ax3.set_ylabel("y (m)", fontsize=7)
        ax3.set_zlabel("z (m)", fontsize=7)
        ax3.tick_params(labelsize=6)
        ax3.set_title("baked armature (Blender)", fontsize=9)
    fig.suptitle(textwrap.fill(title, 90), fontsize=9)  # wrapped: a long clip name must not run off the page
    fig.tight_layout(rect=(0, 0, 1, 0.985))  # leave room for the suptitle
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out

"""The capture .npz format (keys in docs/capture.md): written by the capture pipeline (worker and CLI), read and
validated by the add-on's bake. The one place that knows the keys."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .hands.rig import HandShape
from .hands.track import HandMotion, HandTrack
from .skeleton import H36M_JOINTS, NUM_JOINTS

REQUIRED_KEYS = ("joints_2d", "confidence", "detected", "joints_3d_world", "fps", "frame_indices", "image_size",
                 "joint_names")
# Written by save_capture too; load_capture does not need them (older or hand-made files may lack them).
OPTIONAL_KEYS = ("joints_3d_camera", "times", "lr_swapped", "present", "contacts", "camera_shift",
                 "joints_3d_mediapipe", "options_json", "summary_json")
CONTACT_FEET = ("left", "right")  # columns of ``contacts``
# Written only by a capture with hands on (docs/capture.md, "Hands"); ``hands_version`` says which layout.
HANDS_VERSION = 1
HAND_KEYS = ("hands_version", "hand_angles", "hand_rotation", "hand_seen", "hand_present", "hand_knuckles",
             "hand_lengths", "hand_landmarks_2d", "hand_landmarks_3d", "hand_confidence")  # fmt: skip


def new_capture_path(folder: Path, stem: str) -> Path:
    """A capture file name no other take will use: ``<stem>_<date>_<time>_<random>.npz`` in ``folder``.

    The second alone is not enough: two Blender instances capturing the same clip in the same second would write the
    same file, and *Bake Again* in one would bake the other's take.
    """
    return Path(folder) / f"{stem}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:8]}.npz"


def save_capture(output: Path, *, joints_2d: np.ndarray, confidence: np.ndarray, detected: np.ndarray,
                 joints_3d_camera: np.ndarray, joints_3d_world: np.ndarray, fps: float, frame_indices: np.ndarray,
                 times: np.ndarray, lr_swapped: np.ndarray, image_size: tuple[int, int], options: dict[str, Any],
                 summary: dict[str, Any], present: np.ndarray | None = None,
                 contacts: np.ndarray | None = None, hands: HandMotion | None = None,
                 hand_track: HandTrack | None = None, camera_shift: np.ndarray | None = None,
                 joints_3d_mediapipe: np.ndarray | None = None) -> None:  # fmt: skip
    """Write the .npz atomically (a temp file renamed), so a cancelled or killed run never leaves half a file.
    ``contacts`` (T, 2) bool, feet planted (CONTACT_FEET order, core.world.contacts); omitted when None.
    ``camera_shift`` (T, 2) px, the background's motion per frame (core.camera_motion); omitted when None.
    ``joints_3d_mediapipe`` (T, 17, 3) m, MediaPipe's own 3D as detected (core.fuse3d); omitted when None.
    ``hands`` (core.hands.track) and the attached detections ``hand_track``: the HAND_KEYS; omitted when None."""
    tmp = output.with_name(output.name + ".part")
    extra = {} if contacts is None else {"contacts": np.asarray(contacts, bool)}
    if camera_shift is not None:
        extra["camera_shift"] = np.asarray(camera_shift, np.float32)
    if joints_3d_mediapipe is not None:
        extra["joints_3d_mediapipe"] = np.asarray(joints_3d_mediapipe, np.float32)
    if hands is not None:
        extra |= _hand_arrays(hands, hand_track)
    with open(tmp, "wb") as f:  # a file object: np.savez would append ".npz" to a path not ending in it
        np.savez(
            f,
            joints_2d=joints_2d.astype(np.float32),
            confidence=confidence.astype(np.float32),
            detected=detected,
            joints_3d_camera=joints_3d_camera.astype(np.float32),
            joints_3d_world=joints_3d_world.astype(np.float32),
            fps=np.float64(fps),
            frame_indices=frame_indices.astype(np.int64),
            times=times.astype(np.float64),
            lr_swapped=lr_swapped,
            present=np.ones(len(detected), bool) if present is None else np.asarray(present, bool),
            image_size=np.array(image_size, dtype=np.int64),
            options_json=np.array(json.dumps(options)),
            summary_json=np.array(json.dumps(summary)),
            joint_names=np.array(H36M_JOINTS),
            **extra,
        )
    os.replace(tmp, output)


def _hand_arrays(hands: HandMotion, track: HandTrack | None) -> dict[str, np.ndarray]:
    t = len(hands.angles)
    missing_2d, missing_3d = np.full((t, 2, 21, 2), np.nan), np.full((t, 2, 21, 3), np.nan)
    return {
        "hands_version": np.int64(HANDS_VERSION), "hand_angles": hands.angles.astype(np.float32),
        "hand_rotation": hands.rotation.astype(np.float32), "hand_seen": hands.seen.astype(bool),
        "hand_present": hands.present.astype(bool), "hand_knuckles": hands.shape.knuckles.astype(np.float32),
        "hand_lengths": hands.shape.lengths.astype(np.float32),
        "hand_landmarks_2d": (missing_2d if track is None else track.xy).astype(np.float32),
        "hand_landmarks_3d": (missing_3d if track is None else track.world).astype(np.float32),
        "hand_confidence": (np.zeros((t, 2)) if track is None or track.confidence is None
                            else track.confidence).astype(np.float32),
    }  # fmt: skip


def _load_hands(arrays: dict[str, np.ndarray], t: int, path: Path) -> HandMotion | None:
    """The hand arrays of a file written with hands on, checked; None when the file has none."""
    if "hand_angles" not in arrays:
        return None
    missing = [k for k in HAND_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"{path.name}: hand data incomplete, missing {', '.join(missing)}")
    version = int(arrays["hands_version"])
    if version != HANDS_VERSION:
        raise ValueError(f"{path.name}: hand data version {version}; this add-on reads version {HANDS_VERSION}")
    shapes = {"hand_angles": (t, 2, 5, 4), "hand_rotation": (t, 2, 3, 3), "hand_seen": (t, 2),
              "hand_present": (t, 2), "hand_knuckles": (5, 3), "hand_lengths": (5, 3)}  # fmt: skip
    for key, shape in shapes.items():
        if arrays[key].shape != shape:
            raise ValueError(f"{path.name}: {key} has shape {arrays[key].shape}, expected {shape}")
    numbers = [arrays[k] for k in ("hand_angles", "hand_rotation", "hand_knuckles", "hand_lengths")]
    if not all(np.all(np.isfinite(a)) for a in numbers):
        raise ValueError(f"{path.name}: hand data contains NaN/inf values")
    return HandMotion(np.asarray(arrays["hand_angles"], np.float64), np.asarray(arrays["hand_rotation"], np.float64),
                      np.asarray(arrays["hand_seen"], bool), np.asarray(arrays["hand_present"], bool),
                      HandShape(np.asarray(arrays["hand_knuckles"], np.float64),
                                np.asarray(arrays["hand_lengths"], np.float64)))  # fmt: skip


@dataclass(frozen=True)
class Capture:
    """One capture. joints_world (T, 17, 3) Blender world metres; joints_2d (T, 17, 2) px; confidence (T, 17);
    detected (T,) bool; fps; frame_indices (T,) video frame numbers; image_size (w, h); options from the worker;
    present (T,) bool: a person is in the frame (core.presence; files without the key: every frame);
    contacts (T, 2) bool or None: left/right foot planted (core.world; None in files written before it);
    hands: finger motion (core.hands.track.HandMotion) or None (captured without hands);
    camera_shift (T, 2) px or None: the background's motion per frame (core.camera_motion; None in older files)."""

    path: Path
    joints_world: np.ndarray
    joints_2d: np.ndarray
    confidence: np.ndarray
    detected: np.ndarray
    fps: float
    frame_indices: np.ndarray
    image_size: tuple[int, int]
    options: dict[str, Any]
    summary: dict[str, Any]
    present: np.ndarray
    contacts: np.ndarray | None = None
    hands: HandMotion | None = None
    camera_shift: np.ndarray | None = None

    @property
    def frames(self) -> int:
        return int(self.joints_world.shape[0])

    @property
    def detection_rate(self) -> float:
        return float(np.mean(self.detected)) if self.frames else 0.0

    @property
    def clip_name(self) -> str:
        """The video's file stem when the worker recorded it, else the .npz stem."""
        video = self.summary.get("video") or ""
        return Path(str(video)).stem or self.path.stem


def load_capture(path: str | Path) -> Capture:
    """Load and check a capture .npz; every problem is a ValueError naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"capture file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path.name} is not a readable .npz capture: {exc}") from exc
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"{path.name} is not a Video Mocap capture: missing {', '.join(missing)}")
    names = tuple(str(n) for n in arrays["joint_names"])
    if names != H36M_JOINTS:
        raise ValueError(f"{path.name}: joints {names} are not the Human3.6M-17 joints this add-on bakes")
    joints = np.asarray(arrays["joints_3d_world"], dtype=np.float64)
    t = joints.shape[0]
    if joints.shape != (t, NUM_JOINTS, 3) or t < 1:
        raise ValueError(f"{path.name}: joints_3d_world has shape {joints.shape}, expected (T, {NUM_JOINTS}, 3)")
    if not np.all(np.isfinite(joints)):
        raise ValueError(f"{path.name}: joints_3d_world contains NaN/inf values")
    fps = float(arrays["fps"])
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"{path.name}: fps must be positive, got {fps}")
    options, summary = _json(arrays, "options_json", path), _json(arrays, "summary_json", path)
    size = np.asarray(arrays["image_size"]).astype(int).tolist()
    present = np.asarray(arrays.get("present", np.ones(t, bool)), dtype=bool)
    if present.shape != (t,):
        raise ValueError(f"{path.name}: present has shape {present.shape}, expected ({t},)")
    contacts = np.asarray(arrays["contacts"], dtype=bool) if "contacts" in arrays else None
    if contacts is not None and contacts.shape != (t, len(CONTACT_FEET)):
        raise ValueError(f"{path.name}: contacts has shape {contacts.shape}, expected ({t}, {len(CONTACT_FEET)})")
    shift = np.asarray(arrays["camera_shift"], dtype=np.float64) if "camera_shift" in arrays else None
    if shift is not None and shift.shape != (t, 2):
        raise ValueError(f"{path.name}: camera_shift has shape {shift.shape}, expected ({t}, 2)")
    return Capture(path, joints, np.asarray(arrays["joints_2d"], dtype=np.float64),
                   np.asarray(arrays["confidence"], dtype=np.float64), np.asarray(arrays["detected"], dtype=bool),
                   fps, np.asarray(arrays["frame_indices"]).astype(int), (size[0], size[1]), options, summary,
                   present, contacts, _load_hands(arrays, t, path), shift)  # fmt: skip


def _json(arrays: dict[str, np.ndarray], key: str, path: Path) -> dict[str, Any]:
    """An optional JSON-string entry (options_json, summary_json) as a dict."""
    if key not in arrays:
        return {}
    try:
        value = json.loads(str(arrays[key]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: {key} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path.name}: {key} must hold a JSON object")
    return value

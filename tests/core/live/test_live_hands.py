"""Live hands (core/live/hands.py): frame by frame they equal capture's hands on seen frames (no smoothing), a lost
hand holds then eases into the relaxed hand, and a live session with hands on streams them with their cost."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from capture_helpers import ScriptedDetector, stick_figure, tiny_checkpoint

from core.bake_math import forward_kinematics, rest_pose
from core.hands.angles import LIMITS, hand_from_angles
from core.hands.detect import HandObservation
from core.hands.rig import MIRROR, TEMPLATE
from core.hands.track import BLEND_S, MAX_FILL_S, RELAXED, HandTrack, hand_motion
from core.live import run_live
from core.live.hands import LiveHands
from core.skeleton import JOINT_INDEX

T, FPS = 30, 30.0
UP = np.array([0.1, -0.98, 0.15]) / np.linalg.norm([0.1, -0.98, 0.15])  # a tilted camera's up (camera axes)


def _world(rng: np.random.Generator) -> np.ndarray:
    rot = np.tile([1.0, 0, 0, 0], (T, 16, 1)) + rng.normal(0, 0.15, (T, 16, 4))
    return forward_kinematics(rest_pose(np.full(16, 0.3)), rot / np.linalg.norm(rot, axis=-1, keepdims=True),
                              np.zeros((T, 3)))  # fmt: skip


def _camera_hands(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    angles = rng.uniform(LIMITS[..., 0] + 5, LIMITS[..., 1] - 5, (T, 2, 5, 4))
    q, _ = np.linalg.qr(rng.normal(size=(T, 2, 3, 3)))
    q *= np.sign(np.linalg.det(q))[..., None, None]
    world = np.stack([hand_from_angles(angles[:, s], TEMPLATE.knuckles, TEMPLATE.lengths)
                      @ np.swapaxes(q[:, s] @ (MIRROR if s == 0 else np.eye(3)), -1, -2) for s in range(2)], axis=1)
    return angles, world  # fmt: skip


class Scripted:
    """Hands at the body's wrists (left, right) from given camera-axes landmarks; ``missing`` frames have none."""

    def __init__(self, body_xy: np.ndarray, world: np.ndarray, missing: set[int] = frozenset()) -> None:
        self.body_xy, self.world, self.missing, self.calls = body_xy, world, missing, 0

    def detect(self, image: np.ndarray) -> list[HandObservation]:
        k = min(self.calls, len(self.world) - 1)
        self.calls += 1
        if k in self.missing:
            return []
        out = []
        for s, joint in enumerate(("l_wrist", "r_wrist")):
            xy = np.tile(self.body_xy[k, JOINT_INDEX[joint]], (21, 1)).astype(np.float32)
            xy[9, 1] -= 30
            out.append(HandObservation(xy, self.world[k, s].astype(np.float32), 0.9, "Right"))
        return out

    def close(self) -> None:
        pass


def test_live_hands_equal_capture_hands_on_seen_frames() -> None:
    rng = np.random.default_rng(0)
    world, (angles, marks) = _world(rng), _camera_hands(rng)
    body_xy = stick_figure(T)
    live = LiveHands(0.0, Scripted(body_xy, marks))
    out = [live(np.zeros((4, 4, 3), np.uint8), body_xy[t], world[t], UP, t / FPS) for t in range(T)]
    seen = np.ones((T, 2), bool)
    marks32 = marks.astype(np.float32).astype(np.float64)  # what the detector hands over
    capture = hand_motion(HandTrack(np.zeros((T, 2, 21, 2)), marks32, seen), world, UP, np.arange(T) / FPS, 0.0)
    np.testing.assert_allclose(np.array([o["angles"] for o in out]), capture.angles, atol=1e-6)
    np.testing.assert_allclose(np.array([o["rotation"] for o in out]), capture.rotation, atol=1e-6)
    np.testing.assert_allclose(capture.angles, angles, atol=1e-3)


def test_a_lost_hand_holds_then_eases_into_the_relaxed_hand() -> None:
    rng = np.random.default_rng(1)
    world, (_, marks) = _world(rng), _camera_hands(rng)
    body_xy = stick_figure(T)
    live = LiveHands(0.0, Scripted(body_xy, marks, missing=set(range(5, T))))
    out = [live(np.zeros((4, 4, 3), np.uint8), body_xy[t], world[t], UP, t / FPS) for t in range(T)]
    assert [o["seen"][0] for o in out[3:7]] == [True, True, False, False]
    held = int(MAX_FILL_S * FPS)  # still holding the last seen pose
    np.testing.assert_allclose(out[4 + held]["angles"], out[4]["angles"], atol=1e-6)
    relaxed = 4 + int(np.ceil((MAX_FILL_S + BLEND_S) * FPS)) + 1
    np.testing.assert_allclose(out[relaxed]["angles"][0], RELAXED, atol=1e-6)


def test_a_live_session_with_hands_streams_them_and_their_cost(shared_dir: Path, tmp_path: Path) -> None:
    clip = shared_dir / "videos" / "intel_worker_walking_480x270.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    rng = np.random.default_rng(2)
    _, marks = _camera_hands(rng)
    xy = stick_figure(400, size=(480, 270))
    messages: list[dict] = []
    weights = str(tiny_checkpoint(tmp_path / "tiny_causal.pt", causal=True))
    run_live({"id": "h", "video": str(clip), "options": {"weights": weights, "hands": True}}, messages.append,
             threading.Event(), detector=ScriptedDetector(xy, np.ones(xy.shape[:2]), np.ones(len(xy), bool)),
             hands_detector=Scripted(xy, np.repeat(marks, 20, axis=0)))  # fmt: skip
    poses = [m for m in messages if m["type"] == "pose"]
    assert poses and all(np.shape(p["hands"]["angles"]) == (2, 5, 4) and p["hands_ms"] >= 0 for p in poses)
    assert all(p["hands"]["seen"] == [True, True] for p in poses)
    assert "hands" in messages[-1]["timings_ms"]

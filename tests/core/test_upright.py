"""Upright input (core/upright.py): the body's image angle, the 2D/3D turns that are one symmetry of the projection,
and lift_sequence's use of them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from capture_helpers import stick_figure, tiny_checkpoint

from core.lift import lift_sequence, load_lifter
from core.skeleton import JOINT_INDEX
from core.upright import body_roll, turn_2d, turn_3d

torch.set_num_threads(1)
W, H = 640, 480


_FRONTAL = {  # (x, y) in body heights, image axes (y down), pelvis at 0: symmetric about x = 0
    "pelvis": (0, 0), "r_hip": (-0.1, 0), "r_knee": (-0.1, 0.45), "r_ankle": (-0.1, 0.88), "l_hip": (0.1, 0),
    "l_knee": (0.1, 0.45), "l_ankle": (0.1, 0.88), "spine": (0, -0.25), "thorax": (0, -0.5), "neck": (0, -0.62),
    "head": (0, -0.7), "l_shoulder": (0.18, -0.5), "l_elbow": (0.3, -0.25), "l_wrist": (0.35, 0),
    "r_shoulder": (-0.18, -0.5), "r_elbow": (-0.3, -0.25), "r_wrist": (-0.35, 0),
}  # fmt: skip


def _upright_pose() -> np.ndarray:
    """(17, 2) pixels about the pelvis: a frontal figure whose trunk and legs point straight up the image (-y)."""
    pose = np.zeros((17, 2))
    for name, (x, y) in _FRONTAL.items():
        pose[JOINT_INDEX[name]] = (200.0 * x, 200.0 * y)
    return pose


@pytest.mark.parametrize("deg", [-40.0, -12.5, 0.0, 7.0, 30.0])
def test_body_roll_of_a_turned_figure_is_the_turn(deg: float) -> None:
    pose = _upright_pose()
    # the figure's own axis: mid-ankles below mid-hips below mid-shoulders on the same vertical
    for a, b in (("l_hip", "r_hip"), ("l_shoulder", "r_shoulder"), ("l_ankle", "r_ankle")):
        assert abs(0.5 * (pose[JOINT_INDEX[a], 0] + pose[JOINT_INDEX[b], 0])) < 1e-9
    turned = turn_2d(pose[None], math.radians(deg), centre=(0.0, 0.0))
    assert body_roll(turned) == pytest.approx(math.radians(deg), abs=1e-9)
    # screen convention: a positive angle leans the head towards +x (image right)
    head = turned[0, JOINT_INDEX["head"], 0]
    assert np.sign(head) == np.sign(deg) or deg == 0.0


def test_body_roll_is_the_median_over_frames_and_ignores_scale_and_shift() -> None:
    pose = _upright_pose()
    frames = np.stack([turn_2d(pose, math.radians(d)) for d in (10.0, 12.0, 80.0)])  # one outlier frame
    assert body_roll(frames) == pytest.approx(math.radians(12.0), abs=1e-9)
    assert body_roll(frames * 3.0 + 17.0) == pytest.approx(math.radians(12.0), abs=1e-9)
    assert body_roll(np.zeros((0, 17, 2))) == 0.0


def test_turning_the_camera_about_its_axis_turns_the_image_about_the_principal_point() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 3)) + np.array([0.0, 0.0, 5.0])
    focal, centre = 800.0, np.array([W / 2, H / 2])

    def project(p: np.ndarray) -> np.ndarray:
        return focal * p[:, :2] / p[:, 2:] + centre

    for angle in (-0.7, 0.2, 1.3):
        np.testing.assert_allclose(project(turn_3d(points, angle)), turn_2d(project(points), angle, centre),
                                   atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(turn_3d(turn_3d(points, 0.4), -0.4), points, atol=1e-12)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return load_lifter(tiny_checkpoint(tmp_path_factory.mktemp("w") / "tiny.pt"))


def test_upright_lifting_is_equivariant_to_a_turn_of_the_image(model) -> None:  # noqa: ANN001
    """The same clip filmed with the camera turned about its axis gives the same 3D turned about the optical axis:
    exactly so with upright input (both clips are lifted from the same upright 2D); the bare lifter is not."""
    xy = stick_figure(30, (W, H)).astype(np.float32)
    angle = math.radians(25.0)
    turned = turn_2d(xy, angle, centre=(W / 2, H / 2))
    a = lift_sequence(model, xy, W, H)
    b = lift_sequence(model, turned, W, H)
    np.testing.assert_allclose(b, turn_3d(a, angle), atol=1e-4)
    bare_a = lift_sequence(model, xy, W, H, upright=False)
    bare_b = lift_sequence(model, turned, W, H, upright=False)
    assert not np.allclose(bare_b, turn_3d(bare_a, angle), atol=1e-3)


def test_an_upright_clip_is_lifted_as_the_bare_lifter_lifts_it(model) -> None:  # noqa: ANN001
    pose = _upright_pose() + np.array([W / 2, H / 2])
    xy = np.repeat(pose[None], 20, axis=0).astype(np.float32)
    np.testing.assert_allclose(lift_sequence(model, xy, W, H), lift_sequence(model, xy, W, H, upright=False),
                               atol=1e-6)  # fmt: skip


def test_live_upright_is_the_median_of_the_last_window_and_restarts_when_time_goes_back() -> None:
    from core.upright import LiveUpright

    live = LiveUpright(window_s=1.0)
    pose = _upright_pose()
    angles = [live.update(turn_2d(pose, math.radians(d)), t) for d, t in ((10, 0.0), (20, 0.4), (90, 0.8))]
    assert angles == pytest.approx([math.radians(a) for a in (10, 15, 20)], abs=1e-9)
    # at 1.2 s the 0.0 s frame has left the window: 20, 90, 30
    assert live.update(turn_2d(pose, math.radians(30)), 1.2) == pytest.approx(math.radians(30), abs=1e-9)
    assert live.update(turn_2d(pose, math.radians(-5)), 0.1) == pytest.approx(math.radians(-5), abs=1e-9)


def test_live_session_lifts_a_turned_camera_as_the_turned_3d(shared_dir, tmp_path) -> None:  # noqa: ANN001
    """Live mode's causal counterpart: a clip filmed with the camera turned gives the same 3D turned (the running
    angle is the same turn for every frame here, so exactly)."""
    from core.live.session import LiveSession
    from core.options import LiveOptions

    clip = shared_dir / "videos" / "intel_worker_walking_480x270.mp4"
    if not clip.is_file():
        pytest.skip(f"the shared clip is absent ({clip})")
    weights = str(tiny_checkpoint(tmp_path / "tiny_causal.pt", causal=True))
    xy = stick_figure(60, size=(480, 270)).astype(np.float32)
    angle = math.radians(-20.0)
    turned = turn_2d(xy, angle, centre=(240.0, 135.0))
    outs = []
    for track in (xy, turned):
        session = LiveSession("u", str(clip), LiveOptions(weights=weights), detector=object())
        try:
            outs.append(np.stack([session.lift(p, i / 30.0) for i, p in enumerate(track)]))
        finally:
            session.close()
    np.testing.assert_allclose(outs[1], turn_3d(outs[0], angle), atol=1e-4)

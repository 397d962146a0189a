"""Live mode's causal pieces against their batch counterparts: the streamed One-Euro filter and floor equal the
capture functions' causal passes, the per-frame placement equals capture's ``core.world.place`` on a steady pose once
settled and keeps a planted foot still while walking, takes are put back on the camera's frame grid."""

from __future__ import annotations

import numpy as np
import pytest
from capture_helpers import standing_world

from core.live.post import LivePost, OneEuroStream, TrailingFloor
from core.live.session import HeldTrack
from core.live.take import Take
from core.postprocess import ANKLE_FRACTION, floor_offsets
from core.smoothing import one_euro, params_for_strength
from core.world.ground import HALF_WAY
from core.world.place import place


def test_streamed_one_euro_equals_the_causal_batch_filter() -> None:
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(0, 0.02, (80, 17, 3)), axis=0)
    times = np.cumsum(rng.uniform(0.02, 0.06, 80))  # irregular, as with dropped frames
    stream = OneEuroStream(0.6)
    streamed = np.stack([stream(x[t], times[t]) for t in range(len(x))])
    np.testing.assert_allclose(streamed, one_euro(x, times, params_for_strength(0.6)), rtol=0, atol=1e-12)
    assert np.abs(streamed - x).max() > 1e-3  # it did filter


def test_streamed_floor_equals_causal_floor_offsets() -> None:
    soles = np.random.default_rng(1).normal(0.0, 0.05, 150)
    floor = TrailingFloor(fps=25.0)
    np.testing.assert_allclose([floor(s) for s in soles], floor_offsets(soles, 25.0, causal=True), atol=1e-12)


def _camera_space(world: np.ndarray) -> np.ndarray:
    """Inverse of postprocess.camera_to_blender: (..., 3) Blender world → camera axes (x right, y down, z fwd)."""
    return np.stack([world[..., 0], -world[..., 2], world[..., 1]], axis=-1)


def _steady(T: int, stature: float, w: int, h: int, tilt_deg: float = 0.0):  # noqa: ANN202
    world = standing_world(stature)
    cam = _camera_space(world - world[0])  # root-relative
    a = np.radians(tilt_deg)  # a rolled camera: the body appears rotated about the optical axis
    cam = cam @ np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]).T
    xy = np.repeat((cam[:, :2] / 3.0 * 500 + [w / 2, h / 2])[None], T, axis=0)  # 3 m away, f = 500 px
    cams = np.repeat(cam[None] * 0.9, T, axis=0)  # the lifter's units are not the subject's: scale is recovered
    return cams, xy, np.arange(T) / 25.0


@pytest.mark.parametrize("roll", [0.0, 15.0])
def test_live_post_matches_capture_placement_on_a_steady_pose(roll: float) -> None:
    stature, T, w, h = 1.8, 100, 640, 480
    cams, xy, times = _steady(T, stature, w, h, roll)
    post = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.3, window_s=3.0)
    live = np.stack([post(cams[t], xy[t], times[t]) for t in range(T)])
    # live mode weighs the image's pitch half way (core.live.post), capture by its fitted blend: compared alike
    batch = place(cams, xy, times, w, h, 25.0, subject_height=stature, smoothing=0.3, pitch_blend=HALF_WAY).world
    # Settled once the first frames (levelled before the rolled camera was known, so one foot looked higher and was
    # not a contact) have left the 3 s window. The take's origin was fixed in frame 0: compare about the pelvis.
    settled = slice(80, None)
    about_pelvis = lambda x: x - x[:, :1] * np.array([1.0, 1.0, 0.0])  # noqa: E731
    # Within 5 mm: the locked feet's anchors differ slightly (live: where the contact started; capture: the run's
    # median), which moves the straight knees by a few mm.
    np.testing.assert_allclose(about_pelvis(live[settled]), about_pelvis(batch[settled]), atol=5e-3)
    assert post.contacts.all()
    sole = live[:, [3, 6], 2].min(axis=1) - ANKLE_FRACTION * stature
    np.testing.assert_allclose(sole[settled], 0.0, atol=2e-3)  # on the floor (pins sit within 0.999 of the reach)
    assert live[-1, 10, 2] == pytest.approx(0.936 * stature, abs=0.01)  # eye height: scale and roll recovered


def test_live_post_keeps_a_planted_foot_still() -> None:
    stature, T, w, h = 1.75, 50, 640, 480
    cams, xy, times = _steady(T, stature, w, h)
    rng = np.random.default_rng(2)
    cams[:, 3] += rng.normal(0, 0.01, (T, 3))  # the lifter's right ankle jitters in depth; its 2D stays put
    post = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.0)
    live = np.stack([post(cams[t], xy[t], times[t]) for t in range(T)])
    ankle = live[10:, 3]
    # Locked: it stays within 2 mm (a straight leg cannot always reach the anchor exactly), while the lifted ankle
    # jitters by 1 cm.
    assert np.abs(ankle - ankle[0]).max() < 2e-3


def test_held_track_keeps_last_confident_joints() -> None:
    track = HeldTrack(min_confidence=0.5)
    assert track.update(None) is None  # nobody seen yet
    first = np.arange(34, dtype=float).reshape(17, 2)
    np.testing.assert_array_equal(track.update((first, np.ones(17))), first)
    second, conf = first + 10, np.ones(17)
    conf[3] = 0.1
    out = track.update((second, conf))
    np.testing.assert_array_equal(out[3], first[3])
    np.testing.assert_array_equal(np.delete(out, 3, 0), np.delete(second, 3, 0))
    np.testing.assert_array_equal(track.update(None), out)  # person lost: hold the whole pose


def test_take_fills_dropped_frames_on_the_camera_grid() -> None:
    take = Take(nominal_fps=30.0)
    pose = standing_world(1.7)
    for frame in (10, 11, 14, 15):
        assert take.add(frame, frame / 30.0, pose + [frame * 0.1, 0, 0])
    assert not take.add(15, 0.5, pose) and not take.add(12, 0.4, pose)  # not newer: ignored
    grid = take.on_frame_grid()
    assert grid.shape == (6, 17, 3) and take.span == 6 and len(take) == 4
    np.testing.assert_allclose(grid[2:4, 0, 0] - pose[0, 0], [1.2, 1.3], atol=1e-9)  # interpolated frames 12, 13
    assert take.fps == 30.0


def test_take_uses_the_measured_rate_when_the_camera_misstates_it() -> None:
    take = Take(nominal_fps=30.0)  # a webcam claiming 30 fps, delivering 15 (low light)
    for frame in range(20):
        take.add(frame, frame / 15.0, standing_world(1.7))
    assert take.fps == pytest.approx(15.0)
    with pytest.raises(ValueError, match="empty"):
        Take(nominal_fps=30.0).on_frame_grid()


def test_a_panning_camera_is_removed_before_contacts_and_root() -> None:
    # A hand-held camera slides the whole image: given where the background has moved (the session's running sum of
    # core.camera_motion shifts), live placement sees what a still camera would.
    stature, T, w, h = 1.75, 75, 640, 480
    cams, xy, times = _steady(T, stature, w, h)
    pan = np.stack([60.0 * np.sin(2.0 * times), 25.0 * np.sin(3.0 * times)], axis=1)  # px
    still = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.3)
    panned = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.3)
    ignored = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.3)
    a = np.stack([still(cams[t], xy[t], times[t]) for t in range(T)])
    b = np.stack([panned(cams[t], xy[t] + pan[t], times[t], pan[t]) for t in range(T)])
    c = np.stack([ignored(cams[t], xy[t] + pan[t], times[t]) for t in range(T)])
    np.testing.assert_allclose(b, a, atol=1e-9)
    assert np.abs(c[:, 0] - a[:, 0]).max() > 0.05  # ignored, the pan moves the root: the test can fail


def test_live_post_draws_the_pose_onto_the_detected_2d_by_confidence() -> None:
    """As capture (core.world.image_fit): a lift whose wrists sit 6 cm beside the detections comes back nearer the
    seen body's shape where the detector is sure, and stays as lifted where it is not (confidence 0)."""
    from core.metrics import p_mpjpe
    from core.skeleton import JOINT_INDEX

    stature, T, w, h = 1.8, 40, 640, 480
    cams, xy, times = _steady(T, stature, w, h)
    wrists = [JOINT_INDEX["l_wrist"], JOINT_INDEX["r_wrist"]]
    wrong = cams.copy()
    wrong[:, wrists, 0] += 0.06 * 0.9  # in the lifter's units
    truth = _camera_space(standing_world(stature))
    errors = {}
    for name, conf in (("sure", np.ones(17)), ("unsure", np.zeros(17))):
        post = LivePost(w, h, 25.0, subject_height=stature, smoothing=0.3, window_s=3.0)
        last = [post(wrong[t], xy[t], times[t], conf=conf) for t in range(T)][-1]
        errors[name] = 1000.0 * float(p_mpjpe(_camera_space(last), truth))
    assert errors["unsure"] > 5.0
    assert errors["sure"] < 0.5 * errors["unsure"]


def test_streamed_low_pass_equals_the_causal_batch_low_pass() -> None:
    from core.smoothing import low_pass

    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.05, (60, 17, 3))
    times = np.cumsum(rng.uniform(0.02, 0.06, 60))
    stream = OneEuroStream.low_pass(1.0)
    streamed = np.stack([stream(x[t], times[t]) for t in range(len(x))])
    np.testing.assert_allclose(streamed, low_pass(x, times, 1.0, causal=True), rtol=0, atol=1e-12)

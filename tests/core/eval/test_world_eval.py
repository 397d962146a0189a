"""World-placement evaluation (core.eval.world): its truth, its figures and its diagnostics on hand-built data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from lifter_synth import synthetic_motion

import core.data.cmu as cmu
import core.eval.rendered as rendered
from core.data import virtual_cameras as vc
from core.data.render import CameraBatch, render_windows
from core.eval import world as W
from core.postprocess import estimate_stature
from core.skeleton import JOINT_INDEX

_J = JOINT_INDEX


def test_truth_contacts_plant_the_still_foot_on_the_floor_and_free_the_lifted_one() -> None:
    T, fps = 100, 50.0
    world = np.zeros((T, 17, 3))
    world[:, _J["l_ankle"]] = (0.1, 0.0, 0.08)  # still on the floor throughout
    world[:, _J["r_ankle"]] = (-0.1, 0.0, 0.08)
    t = np.arange(50, T) / fps
    world[50:, _J["r_ankle"], 1] = 1.0 * (t - t[0])  # frame 50 on: moving at 1 m/s ...
    world[50:, _J["r_ankle"], 2] = 0.3  # ... 22 cm up
    contacts = W.truth_contacts(world, fps)
    assert contacts[:, 0].all()
    assert contacts[:45, 1].all() and not contacts[52:, 1].any()


def test_path_figures_against_hand_computed_values() -> None:
    truth = np.c_[np.linspace(0, 2, 20), np.sin(np.linspace(0, 3, 20)), np.zeros(20)]
    c, s = np.cos(0.6), np.sin(0.6)
    turned = truth @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T + (5.0, -2.0, 0.0)
    np.testing.assert_allclose(W.yaw_aligned(turned, truth), truth, atol=1e-12)  # a turn about Z and a shift
    assert W.angle_deg(np.array([1.0, 0, 0]), np.array([2.0, 2.0, 0])) == pytest.approx(45.0)
    pose = synthetic_motion(1, 0)[0].astype(np.float64)
    assert W.bone_cv(np.stack([pose, pose + 1.0])) == pytest.approx(0.0, abs=1e-9)  # rigid: no variation
    longer = pose.copy()
    longer[_J["r_wrist"]] = pose[_J["r_elbow"]] + 1.2 * (pose[_J["r_wrist"]] - pose[_J["r_elbow"]])
    assert W.bone_cv(np.stack([pose, longer])) == pytest.approx((0.2 / 2 / 1.1) / 16)  # one bone of 16 varies


def test_reprojection_and_acceleration_figures_against_hand_computed_values() -> None:
    from core.world.image_fit import project
    from core.world.place import Placement

    rng = np.random.default_rng(0)
    cam = rng.normal(0.0, 0.3, (4, 17, 3)) + (0.0, 0.0, 4.0)  # camera space, 4 m away
    truth_px = project(cam, 640, 480, 500.0)
    placed = Placement(np.zeros((4, 17, 3)), np.zeros((4, 2), bool), np.zeros(3), {}, cam, 500.0)
    assert W.reprojection_error(placed, truth_px, 640, 480) == pytest.approx(0.0, abs=1e-12)
    shifted = truth_px + (3.0, 4.0)  # 5 px off in every frame
    body = np.ptp(truth_px[..., 1], axis=1)
    assert W.reprojection_error(placed, shifted, 640, 480) == pytest.approx(float((5.0 / body).mean()))
    # acceleration error: turned about the vertical first, so a turned copy has none; a 1 mm kink at one frame does
    world = np.cumsum(rng.normal(0.0, 0.01, (6, 17, 3)), axis=0)
    c, s = np.cos(0.4), np.sin(0.4)
    turned = world @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T
    assert W._accel_error_mm(turned, world) == pytest.approx(0.0, abs=1e-9)
    kinked = world.copy()
    kinked[2, 1:, 0] += 0.001  # every joint but the root 1 mm along x at frame 2: accelerations 1, -2, 1 mm
    expected = (1.0 + 2.0 + 1.0) * 16 / (4 * 17)  # mean over the 4 second differences and 17 joints (root: 0)
    assert W._accel_error_mm(kinked, world) == pytest.approx(expected, rel=0.05)


def test_the_table_gives_medians_and_mean_contacts_with_their_standard_error(tmp_path: Path) -> None:
    keys = [k for k, _, _ in W._COLUMNS]
    rows = [{"clip": name, **{k: v for k in keys}} for name, v in (("a", 1.0), ("b", 2.0), ("c", 6.0))]
    last = W.table(rows, "clips").splitlines()[-1]
    # median 2; contacts: mean 3, standard error sqrt(((1 - 3)² + (2 - 3)² + (6 - 3)²) / 2) / sqrt(3) = 1.528
    assert last.startswith("| **median**") and "**2.0**" in last and "**3.000 ± 1.528**" in last
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n")
    W.write_section(doc, "first")
    W.write_section(doc, "second")
    assert doc.read_text() == f"# Doc\n\n{W.BEGIN}\nsecond\n{W.END}\n"


def test_diagnostics_never_write_the_docs(tmp_path: Path) -> None:
    doc = tmp_path / "capture.md"  # never the real docs: a failing check would run the evaluation and write there
    doc.write_text("# Capture\n")
    for flag in ("--clean-2d", "--contact-rule", "--true-3d", "--no-image-gravity", "--no-floor", "--no-image-fit",
                 "--true-fov"):
        with pytest.raises(SystemExit) as exc:
            W.main([flag, "--markdown", str(doc), "--videos", ""])
        assert exc.value.code == 2 and doc.read_text() == "# Capture\n"


def test_true_3d_places_the_truth_and_not_the_lift(monkeypatch: pytest.MonkeyPatch) -> None:
    # One synthetic clip whose "lift" leans 30° towards the camera: the default scores that lift, --true-3d the truth.
    world = synthetic_motion(150, 2).astype(np.float64)
    cam = vc.random_camera(world, np.random.default_rng(1))
    pixels, x_cam, _ = render_windows(world[None].astype(np.float32), CameraBatch.stack([cam]), 0)
    truth_rel = x_cam[0] - x_cam[0][:, :1]
    a = np.radians(30.0)
    leaning = truth_rel @ np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]]).T
    clip = rendered.RenderedClip("synthetic/cam0", world, cam, pixels[0], x_cam[0], np.arange(150) / 50.0,
                                 leaning, float(estimate_stature(world)))  # fmt: skip
    monkeypatch.setattr(rendered, "rendered_clips", lambda *a, **k: iter([clip]))
    monkeypatch.setattr(cmu, "list_motions", lambda root: [SimpleNamespace(subject="08")])
    monkeypatch.setattr(cmu, "split_by_subject", lambda motions, subjects: ([], motions))
    lifted = W.synthetic(None, Path("."), ("08",), 8, 1, image_gravity=False)[0]
    true = W.synthetic(None, Path("."), ("08",), 8, 1, true_3d=True, image_gravity=False)[0]
    assert lifted["up_err_deg"] > 20.0 and true["up_err_deg"] < 5.0
    # the image's reading of gravity (core.world.gravity, from the 2D) takes the lean's error part of the way back
    both = W.synthetic(None, Path("."), ("08",), 8, 1)[0]
    assert both["up_err_deg"] < 0.75 * lifted["up_err_deg"]


def _one_synthetic_clip(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    """core.eval.world.synthetic made to see one small rendered clip (the truth as its lift): its camera."""
    world = synthetic_motion(120, 3).astype(np.float64)
    cam = vc.random_camera(world, np.random.default_rng(2))
    pixels, x_cam, _ = render_windows(world[None].astype(np.float32), CameraBatch.stack([cam]), 0)
    clip = rendered.RenderedClip("synthetic/cam0", world, cam, pixels[0], x_cam[0], np.arange(120) / 50.0,
                                 x_cam[0] - x_cam[0][:, :1], float(estimate_stature(world)))  # fmt: skip
    monkeypatch.setattr(rendered, "rendered_clips", lambda *a, **k: iter([clip]))
    monkeypatch.setattr(cmu, "list_motions", lambda root: [SimpleNamespace(subject="08")])
    monkeypatch.setattr(cmu, "split_by_subject", lambda motions, subjects: ([], motions))
    return cam


def test_true_fov_tells_placement_the_cameras_focal_length(monkeypatch: pytest.MonkeyPatch) -> None:
    cam = _one_synthetic_clip(monkeypatch)
    seen, real_place = [], W.place
    monkeypatch.setattr(W, "place", lambda *a, **k: seen.append(k["fov_deg"]) or real_place(*a, **k))
    W.synthetic(None, Path("."), ("08",), 8, 1)
    W.synthetic(None, Path("."), ("08",), 8, 1, true_fov=True)
    true_fov = np.degrees(2 * np.arctan(0.5 * max(cam.width, cam.height) / np.mean(cam.focal)))
    assert seen[0] == W.DEFAULT_FOV_DEG and seen[1] == pytest.approx(true_fov)



def test_half_share_places_with_the_combination_before_the_blend(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.world.ground import HALF_WAY, PITCH_BLEND

    _one_synthetic_clip(monkeypatch)
    seen, real_place = [], W.place
    monkeypatch.setattr(W, "place", lambda *a, **k: seen.append(k["pitch_blend"]) or real_place(*a, **k))
    W.synthetic(None, Path("."), ("08",), 8, 1)
    W.synthetic(None, Path("."), ("08",), 8, 1, pitch_blend=HALF_WAY)
    assert seen == [PITCH_BLEND, HALF_WAY]


def test_rendered_clips_film_joint_positions_as_they_film_a_bvh(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same poses, once as a BVH motion (its loader stubbed) and once as positions: the same clip, frame for frame
    import core.lift as lift
    from core.data.landmarks import convert

    poses = synthetic_motion(90, 4).astype(np.float32)
    monkeypatch.setattr(lift, "lift_timed", lambda model, xy, *a, **k: np.zeros((len(xy), 17, 3)))
    monkeypatch.setattr(cmu, "load_h36m_joints", lambda motion, fps: poses)
    bvh = SimpleNamespace(name="cmu_extra/walk", skeleton="cmu_extra")
    as_bvh = list(rendered.rendered_clips(None, [bvh], 8, 2, max_frames=60))
    as_positions = list(rendered.rendered_clips(None, [rendered.PoseMotion("cmu_extra/walk", "cmu_extra", poses)], 8, 2,
                                                max_frames=60))  # fmt: skip
    assert [c.name for c in as_positions] == ["cmu_extra/walk/cam0", "cmu_extra/walk/cam1"]
    np.testing.assert_array_equal(as_positions[0].world, convert(poses, "mediapipe", "cmu_extra")[:60])
    for a, b in zip(as_bvh, as_positions, strict=True):
        np.testing.assert_array_equal(a.pixels, b.pixels)
        np.testing.assert_array_equal(a.world, b.world)

"""core.world.place on a scene with known truth: a person leaning while standing, filmed by a rolled, pitched camera;
and a walk where the body-size root estimate is noisy but the planted feet are not."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from capture_helpers import standing_world

from core.skeleton import H36M_PARENTS, JOINT_INDEX
from core.world.body import centre_of_mass
from core.world.ground import CENTRE_OF_PRESSURE_M
from core.world.place import Placement, place

J = JOINT_INDEX
W, H, F = 1280, 720, 1000.0


def _camera(pitch: float, roll: float, distance: float = 4.0, height: float = 1.6) -> tuple[np.ndarray, np.ndarray]:
    """World→camera (R, centre) of a camera at (0, -distance, height) looking along +Y, pitched down and rolled."""
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # world X→x, Z→-y, Y→z
    p, r = math.radians(pitch), math.radians(roll)
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ base, np.array([0.0, -distance, height])


def _film(
    world: np.ndarray, pitch: float, roll: float, noise_px: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    R, c = _camera(pitch, roll)
    cam = (world - c) @ R.T
    xy = F * cam[..., :2] / cam[..., 2:3] + np.array([W / 2, H / 2])
    xy = xy + np.random.default_rng(0).normal(0, noise_px, xy.shape) if noise_px else xy
    return cam - cam[:, :1], xy, R @ np.array([0.0, 0.0, 1.0])


def _leaning(T: int) -> np.ndarray:
    """Standing with the upper body leaning 20° to the side and the hips shifted so the centre of mass stays over
    the feet."""
    world = standing_world(1.75).copy()
    top = [J[n] for n in ("spine", "thorax", "neck", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder",
                          "r_elbow", "r_wrist")]  # fmt: skip
    a = math.radians(20.0)
    tilt = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    pelvis = world[J["pelvis"]].copy()
    world[top] = (world[top] - pelvis) @ tilt.T + pelvis
    mid_foot = 0.5 * (world[J["l_ankle"], :2] + world[J["r_ankle"], :2]) + [0.0, -CENTRE_OF_PRESSURE_M]  # faces -Y
    shift = centre_of_mass(world)[:2] - mid_foot
    upper = [i for i in range(17) if i not in (J["l_ankle"], J["r_ankle"])]
    world[upper, :2] -= shift
    return np.repeat(world[None], T, axis=0)


@contextmanager
def _damaged(monkeypatch: pytest.MonkeyPatch, model: type, error: type[Exception],
             shipped: Callable[[], object]) -> Iterator[None]:  # fmt: skip
    """Within the block ``model.load`` fails as on a damaged file and ``shipped`` (placement's cached loader) reads
    again; after it, the real file is read again by the next test."""

    def damaged(*_args: object) -> object:
        raise error("damaged")

    monkeypatch.setattr(model, "load", damaged)
    shipped.cache_clear()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        monkeypatch.undo()
        shipped.cache_clear()  # type: ignore[attr-defined]


def _bone_cv(world: np.ndarray) -> float:
    lengths = np.stack(
        [np.linalg.norm(world[:, c] - world[:, p], axis=-1) for c, p in enumerate(H36M_PARENTS) if p >= 0], 1
    )
    return float((lengths.std(0) / lengths.mean(0)).max())


@pytest.mark.parametrize(("pitch", "roll"), [(25.0, -20.0), (-5.0, 10.0)])
def test_a_real_lean_stays_and_the_camera_is_levelled(pitch: float, roll: float) -> None:
    T, fps = 60, 30.0
    truth = _leaning(T)
    rel, xy, true_up = _film(truth, pitch, roll, noise_px=0.5)
    times = np.arange(T) / fps
    # the support alone is exact on the true 3D; the image's reading is the next test's
    placed = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, image_gravity=False)
    angle = np.degrees(np.arccos(np.clip(placed.up_camera @ true_up, -1, 1)))
    assert angle < 1.0
    assert placed.info["up_from"] == "contacts" and placed.contacts.mean() > 0.9
    world = placed.world.astype(np.float64)
    trunk = world[:, J["thorax"]] - world[:, J["pelvis"]]
    lean = np.degrees(np.arctan2(np.linalg.norm(trunk[:, :2], axis=1), trunk[:, 2]))
    assert np.median(lean) == pytest.approx(20.0, abs=2.0)  # the lean survives
    assert _bone_cv(world) < 1e-6  # one rigid skeleton
    soles = world[:, [J["l_ankle"], J["r_ankle"]], 2] - 0.039 * 1.75
    assert soles.min() > -1e-6 and np.abs(soles).max() < 0.01  # planted on the floor
    assert np.abs(np.diff(world[:, J["l_ankle"]], axis=0)).max() < 1e-6  # and locked


def test_the_placed_pose_lines_up_with_the_video() -> None:
    """A lift whose arms and legs sit 6 cm to the side of the person: drawn onto the detected 2D, the rigid pose at its
    reprojected root projects onto the image within a fraction of the error it had; without (``image_share`` 0) it
    keeps it. The world stays one rigid skeleton either way."""
    from core.world.image_fit import project

    T, fps = 60, 30.0
    truth = _leaning(T)
    rel, xy, _ = _film(truth, 10.0, 0.0)
    wrong = rel.copy()
    limbs = [J[n] for n in ("l_elbow", "l_wrist", "r_elbow", "r_wrist", "l_knee", "l_ankle", "r_knee", "r_ankle")]
    wrong[:, limbs, 0] += 0.06
    times = np.arange(T) / fps
    errors = {}
    for share in (1.0, 0.0):
        placed = place(wrong, xy, times, W, H, fps, subject_height=1.75, smoothing=0.1, fov_deg=_fov(F),
                       image_share=share)  # fmt: skip
        seen = project(placed.camera_joints, W, H, placed.focal_px)
        errors[share] = float(np.linalg.norm(seen - xy, axis=-1)[:, limbs].mean())
        assert _bone_cv(placed.world.astype(np.float64)) < 1e-6
    assert errors[0.0] > 6.0  # 6 cm at 4 m through f = 1000 px: ≈ 15 px, less what the root's fit absorbs
    assert errors[1.0] < 0.35 * errors[0.0]  # what remains: the moved limbs no longer fit their bone lengths


def _fov(focal: float) -> float:
    """The field of view (long side) of focal length ``focal`` px on the W × H image."""
    return math.degrees(2.0 * math.atan(0.5 * max(W, H) / focal))


def _feet_x(t: np.ndarray, step_m: float = 0.3, period_s: float = 0.5, swing_s: float = 0.3) -> np.ndarray:
    """(T, 2) x of the left and right foot walking sideways: in each period one foot (left, right, left, ...)
    swings ``step_m`` over ``swing_s`` while the other stays planted."""
    out = np.zeros((len(t), 2))
    for k, tk in enumerate(t):
        n, phase = int(tk // period_s), tk % period_s
        for foot in (0, 1):
            steps_done = (n + 1 - foot) // 2  # completed swings of this foot before period n
            moving = n % 2 == foot
            out[k, foot] = step_m * (steps_done + (min(phase / swing_s, 1.0) if moving else 0.0))
    return out


def _stepping(T: int, fps: float, axis: int, step_m: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 3) world joints of a body stepping along world ``axis`` (0: sideways, 1: away from the camera) as
    ``_feet_x`` moves the feet (the body between its feet), (T,) times."""
    t = np.arange(T) / fps
    world = np.repeat(standing_world(1.75)[None], T, axis=0)
    feet = _feet_x(t, step_m=step_m)
    world[:, J["l_ankle"], axis] += feet[:, 0]
    world[:, J["r_ankle"], axis] += feet[:, 1]
    body = [i for i in range(17) if i not in (J["l_ankle"], J["r_ankle"])]
    world[:, body, axis] += feet.mean(axis=1)[:, None]
    return world, t


def _walking_sideways(T: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    return _stepping(T, fps, axis=0)


def test_planted_feet_steady_a_noisy_root() -> None:
    # The body-size depth estimate jitters with 2D noise; where a foot is planted the root must follow the foot.
    fps = 30.0
    world, t = _walking_sideways(120, fps)
    rel, xy, _ = _film(world, 10.0, 0.0, noise_px=1.5)
    placed = place(rel, xy, t, W, H, fps, subject_height=1.75, smoothing=0.3)
    assert placed.contacts.mean() > 0.6  # each foot is planted ≥ 70 % of the time
    out = placed.world.astype(np.float64)
    true_travel = world[-1, J["pelvis"], 0] - world[0, J["pelvis"], 0]
    assert out[-1, J["pelvis"], 0] - out[0, J["pelvis"], 0] == pytest.approx(true_travel, abs=0.1)
    assert np.ptp(out[:, J["pelvis"], 1]) < 0.05  # no invented depth motion
    both = placed.contacts[1:] & placed.contacts[:-1]
    slide = np.linalg.norm(np.diff(out[:, [J["l_ankle"], J["r_ankle"]], :2], axis=0), axis=-1)
    assert slide[both].max() < 1e-3  # planted feet do not slide (float32 output; a leg at full stretch: < 1 mm)


def test_a_panning_camera_is_not_foot_or_root_motion() -> None:
    # A hand-held camera pans and tilts: the whole image slides. Given the background's motion (core.camera_motion),
    # the placement sees what a still camera would: the same contacts and root path as the still film.
    fps = 30.0
    world, t = _walking_sideways(120, fps)
    rel, xy, _ = _film(world, 10.0, 0.0, noise_px=1.0)
    pan = np.stack([120.0 * np.sin(2.0 * t), 40.0 * np.sin(3.0 * t)], axis=1)  # px: up to 3 px per frame
    shift = np.diff(pan, axis=0, prepend=pan[:1])
    still = place(rel, xy, t, W, H, fps, subject_height=1.75, smoothing=0.3)
    panned = place(rel, xy + pan[:, None], t, W, H, fps, subject_height=1.75, smoothing=0.3, camera_shift=shift)
    np.testing.assert_array_equal(panned.contacts, still.contacts)
    np.testing.assert_allclose(panned.world, still.world, atol=1e-4)
    assert panned.info["camera_moved_px"] == pytest.approx(np.linalg.norm(pan - pan[0], axis=1).max(), abs=0.1)
    ignored = place(rel, xy + pan[:, None], t, W, H, fps, subject_height=1.75, smoothing=0.3)
    assert (ignored.contacts != still.contacts).mean() > 0.1  # the pan read as foot motion: the test can fail


def test_the_image_gravity_moves_the_pitch_and_keeps_the_sideways_lean(monkeypatch) -> None:  # noqa: ANN001
    from core.world import place as place_module
    from core.world.ground import HALF_WAY, PITCH_BLEND, camera_angles, up_from_angles

    T, fps = 60, 30.0
    rel, xy, _ = _film(_leaning(T), 25.0, -20.0, noise_px=0.5)
    times = np.arange(T) / fps
    # the floor under the planted feet (next tests) left out: this one checks the combination rule exactly
    alone = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, image_gravity=False,
                  floor_prior_m2=0.0)  # fmt: skip
    pitch, roll = camera_angles(alone.up_camera)

    class Reading:  # a gravity model that reads the camera 16° steeper and 30° more rolled than the support does
        def clip_up(self, xy_px: np.ndarray, width: int, height: int) -> np.ndarray:
            assert xy_px.shape == xy.shape and (width, height) == (W, H)
            return up_from_angles(pitch + 16.0, roll + 30.0)

    monkeypatch.setattr(place_module, "shipped_gravity_model", lambda: Reading())
    both = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, floor_prior_m2=0.0)
    blended = PITCH_BLEND.intercept_deg + PITCH_BLEND.body * pitch + PITCH_BLEND.image * (pitch + 16.0)
    assert camera_angles(both.up_camera) == pytest.approx((blended, roll))  # the pitch blended, none of the roll
    assert both.info["up_from"] == "contacts and image"
    half = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, floor_prior_m2=0.0,
                 pitch_blend=HALF_WAY)  # fmt: skip
    assert camera_angles(half.up_camera) == pytest.approx((pitch + 8.0, roll))
    world = both.world.astype(np.float64)
    trunk = world[:, J["thorax"]] - world[:, J["pelvis"]]
    sideways = np.degrees(np.arctan2(trunk[:, 0], trunk[:, 2]))  # the camera looks along +Y: x is sideways
    assert abs(np.median(sideways)) == pytest.approx(20.0, abs=2.0)


def test_a_damaged_gravity_model_leaves_the_support_alone(monkeypatch) -> None:  # noqa: ANN001
    from core.world import place as place_module
    from core.world.gravity import GravityModel, GravityModelError

    T, fps = 60, 30.0
    rel, xy, _ = _film(_leaning(T), 10.0, 0.0, noise_px=0.5)
    times = np.arange(T) / fps
    alone = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, image_gravity=False)

    with _damaged(monkeypatch, GravityModel, GravityModelError, place_module.shipped_gravity_model):
        fallback = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3)
        assert fallback.info["up_from"] == "contacts"
        np.testing.assert_array_equal(fallback.up_camera, alone.up_camera)


def test_contacts_say_where_they_come_from_and_a_damaged_model_falls_back_to_the_rule(monkeypatch) -> None:  # noqa: ANN001
    from core.world import place as place_module
    from core.world.contact_model import ContactModel, ContactModelError

    T, fps = 60, 30.0
    rel, xy, _ = _film(_leaning(T), 10.0, 0.0, noise_px=0.5)
    times = np.arange(T) / fps
    learned = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3)
    rule = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3, contact_rule=True)
    assert learned.info["contacts_from"] == "learned model" and rule.info["contacts_from"] == "rule"
    assert learned.contacts.all() and rule.contacts.all()  # standing still: both feet down, either way

    with _damaged(monkeypatch, ContactModel, ContactModelError, place_module.shipped_contact_model):
        fallback = place(rel, xy, times, W, H, fps, subject_height=1.75, smoothing=0.3)
        assert fallback.info["contacts_from"] == "rule"
        np.testing.assert_array_equal(fallback.contacts, rule.contacts)


def _walking_away(T: int, fps: float, step_m: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    return _stepping(T, fps, axis=1, step_m=step_m)


def test_the_floor_under_a_walk_corrects_a_lift_that_reads_the_camera_too_level() -> None:
    # The lifter's pitch regresses towards a level camera: here its pose is turned 8° too level. Walking away from
    # the camera, the planted feet lie on the floor at several depths, and that floor gives the pitch back.
    fps, pitch = 30.0, 20.0
    world, t = _walking_away(180, fps)  # 3 m in 6 s: a spread of ≈ 0.9 m, far beyond the prior's ≈ 0.4 m
    rel, xy, true_up = _film(world, pitch, 0.0, noise_px=0.5)
    c, s = math.cos(math.radians(-8.0)), math.sin(math.radians(-8.0))
    too_level = rel @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]]).T
    fov = math.degrees(2 * math.atan(W / 2 / F))  # the true field of view: depth from size is then right

    def error(placed: Placement) -> float:
        return float(np.degrees(np.arccos(np.clip(placed.up_camera @ true_up, -1, 1))))

    kw = {"subject_height": 1.75, "smoothing": 0.3, "fov_deg": fov, "image_gravity": False}
    without = place(too_level, xy, t, W, H, fps, floor_prior_m2=0.0, **kw)
    with_floor = place(too_level, xy, t, W, H, fps, **kw)
    assert error(without) > 6.0  # the body alone keeps the lift's error: the test can fail
    assert error(with_floor) < min(3.0, 0.3 * error(without))
    assert with_floor.info["up_from"].endswith("and floor") and with_floor.info["floor_spread_m"] > 0.4
    assert "floor" not in without.info["up_from"]

"""core.world.contact_model (the learned foot contacts) and core.world.contact_fit, on hand-made data; the shipped
``weights/contacts.json`` loads, says how it was made and separates a planted foot from a swinging one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from repo import REPO_ROOT

from core.skeleton import JOINT_INDEX
from core.world.contact_fit import fit
from core.world.contact_model import (
    FEATURES,
    FORMAT,
    SPEED_FLOOR_M_S,
    ContactModel,
    ContactModelError,
    contact_features,
    one_sided_speeds,
)  # fmt: skip
from core.world.model_file import write_model_file

J = JOINT_INDEX
UP = np.array([0.0, -1.0, 0.0])  # camera space: up is -y


def test_one_sided_speeds_by_hand() -> None:
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])  # still, then 1 unit per second
    points = np.stack([x, np.zeros(6)], axis=-1)[:, None]  # (T, 1, 2)
    after, before = one_sided_speeds(points, np.arange(6.0), span_s=2.0)  # two frames each way
    np.testing.assert_allclose(after[:, 0], [0.0, 0.5, 1.0, 1.0, 1.0, 1.0])  # last frame: the span before it
    np.testing.assert_allclose(before[:, 0], [0.0, 0.0, 0.0, 0.5, 1.0, 1.0])  # first frame: the span after it


def _planted_left_swinging_right(T: int = 60, fps: float = 30.0) -> tuple[np.ndarray, ...]:
    """Left ankle still, right ankle moving 2 m/s sideways 0.2 m up, in the image and in the lifted 3D alike (a
    lifter follows the 2D: an image that moves over a still 3D foot is no case the models learnt, and the causal one
    calls such a foot planted); 100 px per metre; pelvis still."""
    times = np.arange(T) / fps
    pose = np.zeros((T, 17, 3))
    pose[:, J["l_ankle"]] = [0.1, 0.9, 0.0]
    pose[:, J["r_ankle"]] = [-0.1, 0.7, 0.0]  # 0.2 m higher (y down)
    pose[:, J["r_ankle"], 0] += 2.0 * times
    xy = np.full((T, 17, 2), 500.0)
    xy[:, J["r_ankle"], 0] += 200.0 * times  # 2 m/s at 100 px/m
    return xy, times, np.full(T, 100.0), pose


def test_cues_of_a_planted_and_a_swinging_foot() -> None:
    xy, times, px_per_m, pose = _planted_left_swinging_right()
    f = contact_features(xy, times, px_per_m, pose, UP)
    assert f.shape == (60, 2, len(FEATURES))
    column = {name: i for i, name in enumerate(FEATURES)}
    np.testing.assert_allclose(f[:, 0, column["log speed 0.12 s"]], np.log(SPEED_FLOOR_M_S))  # left: still
    np.testing.assert_allclose(f[10:50, 1, column["log speed 0.12 s"]], np.log(2.0 + SPEED_FLOOR_M_S))
    np.testing.assert_allclose(f[:, 1, column["height above lower foot"]], 0.2)
    np.testing.assert_allclose(f[:, 0, column["other foot height"]], 0.2)
    np.testing.assert_allclose(f[10:50, 0, column["log other foot speed"]], np.log(2.0 + SPEED_FLOOR_M_S))


def _model(rng: np.random.Generator, hidden: int = 3) -> ContactModel:
    D = len(FEATURES)
    widths = [D, hidden, 1]
    layers = tuple((rng.normal(size=(b, a)), rng.normal(size=b)) for a, b in zip(widths, widths[1:]))
    return ContactModel(rng.normal(size=D), rng.uniform(0.5, 2, D), layers, 0.4, {"note": "test"})


def test_probability_by_hand() -> None:
    # two cues, one hidden layer of two ReLU units, a logistic output
    layers = ((np.array([[1.0, 2.0], [-1.0, 0.0]]), np.array([0.0, 1.0])), (np.array([[1.0, -2.0]]), np.array([0.5])))
    model = ContactModel(np.array([1.0, 0.0]), np.array([2.0, 1.0]), layers, 0.5, {})
    # cues (3, 1) → standardised (1, 1) → hidden relu(1 + 2, -1 + 1) = (3, 0) → 3 - 0 + 0.5 = 3.5
    # cues (1, -1) → (0, -1) → relu(-2, 1) = (0, 1) → 0 - 2 + 0.5 = -1.5
    p = model.probability(np.array([[3.0, 1.0], [1.0, -1.0]]))
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-np.array([3.5, -1.5]))))


def test_save_load_round_trip_and_refusals(tmp_path: Path) -> None:
    model = _model(np.random.default_rng(0))
    model.save(tmp_path / "c.json")
    back = ContactModel.load(tmp_path / "c.json")
    for (w, b), (w2, b2) in zip(back.layers, model.layers, strict=True):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
    cues = np.random.default_rng(1).normal(size=(5, 2, len(FEATURES)))
    np.testing.assert_array_equal(back.probability(cues), model.probability(cues))
    assert back.threshold == 0.4 and back.info == {"note": "test"}
    numbers = model.numbers()  # layers that do not chain: refused, not a shape error deep inside capture
    numbers["layers"][1][0] = [[1.0]] * 4
    write_model_file(tmp_path / "broken.json", FORMAT, numbers, {})
    with pytest.raises(ContactModelError, match="do not chain"):
        ContactModel.load(tmp_path / "broken.json")
    text = (tmp_path / "c.json").read_text()
    (tmp_path / "edited.json").write_text(text.replace('"threshold": 0.4', '"threshold": 0.3'))
    with pytest.raises(ContactModelError, match="sha256"):
        ContactModel.load(tmp_path / "edited.json")
    numbers = model.numbers()  # a file of another version of the cues: self-consistent, but not for this code
    numbers["features"] = [name.replace("pelvis", "knee") for name in numbers["features"]]
    write_model_file(tmp_path / "other.json", FORMAT, numbers, {})
    with pytest.raises(ContactModelError, match="other cues"):
        ContactModel.load(tmp_path / "other.json")
    with pytest.raises(ContactModelError, match="cannot read"):
        ContactModel.load(tmp_path / "missing.json")


def test_fit_learns_a_separable_rule_and_picks_its_threshold() -> None:
    rng = np.random.default_rng(1)
    D = len(FEATURES)

    def clip(T: int = 200) -> tuple[np.ndarray, np.ndarray]:
        planted = np.repeat(rng.random((T // 20, 2)) < 0.5, 20, axis=0)  # runs of 20 frames
        x = rng.normal(size=(T, 2, D))
        x[..., 1] += np.where(planted, -3.0, 3.0)  # one informative cue
        return x, planted

    train = [clip() for _ in range(5)]
    for hidden in (0, 8):  # a logistic regression and a small perceptron
        model = fit([x for x, _ in train], [y for _, y in train], hidden=hidden, steps=300)
        assert 0.1 <= model.threshold <= 0.9 and len(model.layers) == (3 if hidden else 1)
        x, y = clip()
        assert (model.contacts(x, 50.0) == y).mean() > 0.97
    again = fit([x for x, _ in train], [y for _, y in train], hidden=8, steps=300)  # one thread, fixed seeds
    np.testing.assert_array_equal(again.layers[0][0], model.layers[0][0])


def test_cross_validation_by_motion_measures_each_set_and_can_leave_the_extra_set_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.world.contact_fit as contact_fit

    rng = np.random.default_rng(2)
    D = len(FEATURES)
    names = [f"daz/salsa/{m:02d}/cam{c}" for m in range(4) for c in range(2)]
    names += [f"cmu_extra/convseq2seq__walk_{m}/cam{c}" for m in range(4) for c in range(2)]
    labels = [np.repeat(rng.random((10, 2)) < 0.5, 20, axis=0) for _ in names]
    features = [rng.normal(size=(200, 2, D)) + np.where(y, -3.0, 3.0)[..., None] for y in labels]
    seen: list[int] = []

    def quick_fit(f: list, y: list, hidden: int, causal: bool = False) -> ContactModel:
        seen.append(len(f))
        return fit(f, y, hidden=hidden, steps=100, causal=causal)

    monkeypatch.setattr(contact_fit, "fit", quick_fit)
    both = contact_fit.cross_validate(features, labels, names, hidden=0)
    assert set(both) == {"all", "bvh", "extra"} and seen == [12] * contact_fit.FOLDS  # a motion's cameras together
    assert all(f1 > 0.9 for _, _, f1 in both.values())
    seen.clear()
    bvh_only = contact_fit.cross_validate(features, labels, names, hidden=0, with_extra=False)
    # each fold fits on the BVH clips of the other folds only: every BVH clip in 3 of the 4 fits, no extra clip
    assert len(seen) == contact_fit.FOLDS and sum(seen) == 8 * 3 and set(bvh_only) == {"all", "bvh", "extra"}


@pytest.mark.parametrize("name", ["contacts.json", "contacts_causal.json"])
def test_shipped_contact_models_say_how_they_were_made_and_work(name: str) -> None:
    from core.world.contact_model import causal_contact_features

    model = ContactModel.load(REPO_ROOT / "weights" / name)
    assert model.info["command"].startswith("python -m core.world.contact_fit")
    assert ("--causal" in model.info["command"]) == model.causal == (name == "contacts_causal.json")
    assert (REPO_ROOT / "weights" / model.info["lifter"]).is_file()
    assert "08" not in {name.split("/")[1].split("_")[0] for name in model.info["clips"]}  # the evaluation subject
    xy, times, px_per_m, pose = _planted_left_swinging_right()
    cues = (causal_contact_features if model.causal else contact_features)(xy, times, px_per_m, pose, UP)
    c = model.contacts(cues, fps=30.0)
    assert c[3:, 0].all() and not c[10:50, 1].any()  # causal: a contact counts after 0.1 s (3 frames)


def test_trailing_speed_and_confirmed_runs_by_hand() -> None:
    from core.world.contact_model import confirmed_runs, trailing_speed

    x = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    points = np.stack([x, np.zeros(6)], axis=-1)[:, None]
    np.testing.assert_allclose(trailing_speed(points, np.arange(6.0), 2.0)[:, 0], [0.0, 0.0, 0.0, 0.5, 1.0, 1.0])
    raw = np.array([[1, 1, 0, 1, 1, 1]], bool).T
    np.testing.assert_array_equal(confirmed_runs(raw, 2)[:, 0], [False, True, False, False, True, True])


def test_causal_cues_never_read_the_future() -> None:
    from core.world.contact_model import causal_contact_features

    xy, times, px_per_m, pose = _planted_left_swinging_right()
    before = causal_contact_features(xy, times, px_per_m, pose, UP)
    xy2, pose2 = xy.copy(), pose.copy()
    xy2[40:] += 50.0  # change everything after frame 39
    pose2[40:] *= 1.5
    after = causal_contact_features(xy2, times, px_per_m, pose2, UP)
    np.testing.assert_array_equal(before[:40], after[:40])
    assert not np.array_equal(before[40:], after[40:])

"""Live mode's learned contacts (core.live.post._LiveLearnedContacts): from a bounded history, the same decisions as
the causal model over the whole clip (what core.eval.live_contacts measures)."""

from __future__ import annotations

import numpy as np

from core.live.post import _LiveLearnedContacts, shipped_causal_contact_model
from core.skeleton import JOINT_INDEX
from core.world.contact_model import FEATURES_CAUSAL, causal_contact_features

J = JOINT_INDEX


def _walk(T: int, fps: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Feet alternating between planted and swinging (0.5 s each), a drifting pelvis, noisy 2D and scale."""
    times = np.arange(T) / fps
    xy = np.full((T, 17, 2), 400.0) + rng.normal(0, 1.0, (T, 17, 2))
    phase = (times // 0.5).astype(int) % 2
    for foot, moving in ((J["l_ankle"], phase == 0), (J["r_ankle"], phase == 1)):
        xy[:, foot, 0] += np.cumsum(np.where(moving, 300.0 / fps, 0.0))
    xy[:, J["pelvis"], 0] += 150.0 * times
    pose = rng.normal(0, 0.3, (T, 17, 3))
    pose[:, 0] = 0.0
    return times, xy, 150.0 + rng.normal(0, 2.0, T), pose


def test_live_learned_contacts_equal_the_causal_model_over_the_whole_clip() -> None:
    model = shipped_causal_contact_model()
    assert model is not None and model.causal and model.features == FEATURES_CAUSAL
    fps = 50.0
    times, xy, px_per_m, pose = _walk(150, fps, np.random.default_rng(3))
    up = np.array([0.0, -1.0, 0.0])
    live = _LiveLearnedContacts(fps, model)
    streamed = np.array([live(float(t), xy[i], float(px_per_m[i]), pose[i], up) for i, t in enumerate(times)])
    batch = model.contacts(causal_contact_features(xy, times, px_per_m, pose, up), fps)
    np.testing.assert_array_equal(streamed, batch)
    assert len(live._past) < 0.7 * fps  # the history stays bounded (HISTORY_S and two frames)
    assert streamed.any() and not streamed.all()  # the walk has both planted and swinging frames

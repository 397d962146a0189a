"""core.videopose_numpy: the VideoPose3D lifter's NumPy inference equals the torch model (tiny random configs, offline
and causal, both activations), alone and inside an ensemble with an attention lifter, and a capture loads it for
NumPy inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import randomise_batchnorm

from core.lift import lift_sequence, load_lifter
from core.lifter_ensemble import NumpyEnsemble
from core.lifter_geometry import edge_padding
from core.lifter_numpy import LifterFileError, load_numpy_lifter, numpy_model
from core.models import LifterConfig, build_model, load_model, pad_sequence, predict, save_checkpoint
from core.models.ensemble import save_ensemble
from core.videopose_numpy import NumpyVideoPose, _dilated


def _save(path: Path, arch: str, widths: tuple[int, ...], causal: bool, activation: str | None, seed: int) -> Path:
    torch.manual_seed(seed)
    config = LifterConfig(arch=arch, filter_widths=widths, channels=16, groups=4, reduction=4, causal=causal,
                          activation=activation, joints="mediapipe")  # fmt: skip
    model = build_model(config)
    randomise_batchnorm(model)
    save_checkpoint(path, model.eval())
    return path


def _padded(x: np.ndarray, rf: int, shift: int) -> np.ndarray:
    left, right = edge_padding(rf, shift)
    return np.concatenate([np.repeat(x[:1], left, 0), x, np.repeat(x[-1:], right, 0)])


def test_the_dilated_convolution_by_hand() -> None:
    # h = [0, 1, 2, 3, 4, 5] (one channel), taps [1, 10, 100] dilated by 2: out[t] = h[t] + 10 h[t+2] + 100 h[t+4]
    h = np.arange(6, dtype=np.float32)[:, None]
    taps = [np.array([[1.0]]), np.array([[10.0]]), np.array([[100.0]])]
    np.testing.assert_array_equal(_dilated(h, taps, 2)[:, 0], [420.0, 531.0])


@pytest.mark.parametrize(
    ("widths", "causal", "activation"),
    [((3, 3), False, None), ((3, 3, 3), True, None), ((3, 5), False, "mish"), ((5, 3, 3), True, "relu"),
     ((3,), False, None)],
)
def test_tiny_random_videopose_lifters_lift_the_same_in_numpy(tmp_path: Path, widths: tuple[int, ...], causal: bool,
                                                             activation: str | None) -> None:  # fmt: skip
    path = _save(tmp_path / "vp.pt", "videopose", widths, causal, activation, seed=4)
    ours, theirs = load_numpy_lifter(path), load_model(path)
    assert isinstance(ours, NumpyVideoPose)
    assert (ours.receptive_field, ours.causal_shift) == (theirs.receptive_field, theirs.causal_shift)
    assert ours.config.activation == theirs.config.act
    x = np.random.default_rng(2).normal(0.0, 0.5, (40, 17, 2)).astype(np.float32)
    for tta in (False, True):
        with torch.inference_mode():
            want = predict(theirs, pad_sequence(theirs, torch.from_numpy(x)[None]), tta=tta)[0].numpy()
        got = ours.predict(_padded(x, ours.receptive_field, ours.causal_shift), tta=tta)
        assert got.shape == want.shape == (40, 17, 3)
        np.testing.assert_allclose(got, want, atol=2e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_an_ensemble_of_attention_and_videopose_lifts_the_same_in_numpy(tmp_path: Path, causal: bool) -> None:
    members = [_save(tmp_path / "att.pt", "attention", (3, 3), causal, None, seed=0),
               _save(tmp_path / "vp.pt", "videopose", (3, 3, 3), causal, None, seed=1)]  # fmt: skip
    save_ensemble(tmp_path / "mixed.pt", members)
    ours = load_lifter(tmp_path / "mixed.pt", numpy_ok=True)
    assert isinstance(ours, NumpyEnsemble) and [type(m).__name__ for m in ours.members] == ["NumpyLifter",
                                                                                            "NumpyVideoPose"]
    xy = np.random.default_rng(1).uniform(100, 500, (60, 17, 2)).astype(np.float32)
    np.testing.assert_allclose(lift_sequence(ours, xy, 640, 480),
                               lift_sequence(load_model(tmp_path / "mixed.pt"), xy, 640, 480), atol=1e-5)  # fmt: skip


def test_other_architectures_are_refused() -> None:
    with pytest.raises(LifterFileError, match="not 'transformer'"):
        numpy_model({"arch": "transformer"}, {})

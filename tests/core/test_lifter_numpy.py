"""core.lifter_numpy: the NumPy inference equals the torch model (shipped weights and tiny random configs), the
torch-free reader equals torch's and refuses damaged or foreign files, and a CPU capture never imports torch."""

from __future__ import annotations

import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import randomise_batchnorm
from repo import REPO_ROOT

from core.errors import WeightsError
from core.lift import load_lifter
from core.lifter_ensemble import NumpyEnsemble
from core.lifter_geometry import edge_padding, num_units, receptive_field, unit_dilation, unit_taps
from core.lifter_numpy import LifterChecksumError, LifterFileError, NumpyLifter, load_numpy_lifter, read_lifter_file
from core.models import LifterConfig, build_model, pad_sequence, predict, save_checkpoint
from core.models.checkpoint import read_checkpoint
from core.weights import default_weights, version_file_says_cuda


def _torch_predict(model: torch.nn.Module, x: np.ndarray, tta: bool) -> np.ndarray:
    with torch.inference_mode():
        return predict(model, pad_sequence(model, torch.from_numpy(x)[None]), tta=tta)[0].numpy()


def _numpy_predict(model: NumpyLifter, x: np.ndarray, tta: bool) -> np.ndarray:
    left, right = edge_padding(model.receptive_field, model.causal_shift)
    return model.predict(np.concatenate([np.repeat(x[:1], left, 0), x, np.repeat(x[-1:], right, 0)]), tta=tta)


@pytest.mark.parametrize("kind", ["offline", "causal"])
def test_the_shipped_weights_lift_the_same_in_numpy(kind: str) -> None:
    path = default_weights(kind)
    x = np.random.default_rng(3).normal(0.0, 0.3, (120, 17, 2)).astype(np.float32)
    ours = load_numpy_lifter(path)
    # Both shipped files are ensembles (core.lifter_ensemble): offline an rf-81 lifter and three rf-243 ones (C = 256
    # after its second and its third schedule, C = 512 after its second), causal an rf-81 and an rf-243 one
    # (docs/training.md).
    members = [m.receptive_field for m in getattr(ours, "members", [ours])]
    expected = [81, 243, 243, 243] if kind == "offline" else [81, 243]
    assert ours.config.causal == (kind == "causal") and members == expected
    np.testing.assert_allclose(_numpy_predict(ours, x, True), _torch_predict(load_lifter(path), x, True), atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_layer_0_taps_are_one_pattern_per_window_never_clamped(causal: bool) -> None:
    # What lets the NumPy lifter compute layer 0 once per frame for all windows (NumpyLifter._layer0_by_frame): in
    # every unit of layer 0, each window position reads the same tap pattern, shifted, inside the window.
    import itertools

    for depth in (2, 3, 4):
        for widths in itertools.product((2, 3, 4, 5, 7), repeat=depth):
            n = receptive_field(widths)
            for u in range(num_units(widths, 0)):
                taps = unit_taps(n, widths[0], unit_dilation(widths, 0, u), 0, causal)
                pattern = taps - taps[:, :1]
                assert (pattern == pattern[0]).all() and (np.diff(taps[:, 0]) > 0).all(), (widths, u)
                assert taps.min() >= 0 and taps.max() <= n - 1 and len(np.unique(taps[:, 0])) == len(taps)


@pytest.mark.parametrize(
    ("widths", "causal", "branches", "activation"),
    [((3, 3), False, 3, None), ((3, 3, 3), True, 2, None), ((3, 5), False, 3, "relu"), ((3, 3, 5), True, 1, None)],
)
def test_tiny_random_lifters_lift_the_same_in_numpy(tmp_path: Path, widths: tuple[int, ...], causal: bool,
                                                    branches: int, activation: str | None) -> None:  # fmt: skip
    torch.manual_seed(1)
    config = LifterConfig(arch="attention", filter_widths=widths, channels=16, groups=4, reduction=4, causal=causal,
                          branches=branches, activation=activation)  # fmt: skip
    model = build_model(config)
    randomise_batchnorm(model)
    model.eval()
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, model)
    x = np.random.default_rng(2).normal(0.0, 0.5, (40, 17, 2)).astype(np.float32)
    for tta in (False, True):
        np.testing.assert_allclose(_numpy_predict(load_numpy_lifter(path), x, tta), _torch_predict(model, x, tta),
                                   atol=2e-5)  # fmt: skip


def test_the_reader_equals_torch_and_refuses_bad_files(tmp_path: Path) -> None:
    for kind in ("causal", "offline"):  # a lifter file and an ensemble file (core.lifter_ensemble)
        path = default_weights(kind)
        ours, theirs = read_lifter_file(path), read_checkpoint(path)
        assert ours["format"] == theirs["format"] and ours["sha256"] == theirs["sha256"]
        for a, b in zip(ours.get("members", [ours]), theirs.get("members", [theirs]), strict=True):
            assert a["config"] == b["config"] and a["sha256"] == b["sha256"]
            for name, tensor in b["state_dict"].items():
                assert a["state_dict"][name].shape == tuple(tensor.shape)
                np.testing.assert_array_equal(a["state_dict"][name], tensor.numpy())
    # one weight changed inside the archive: the checksum catches it, and capture reports the file as corrupt
    damaged = tmp_path / "damaged.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("/data/0"):
                data = bytes([data[0] ^ 1]) + data[1:]
            dst.writestr(item, data)
    with pytest.raises(LifterChecksumError):
        read_lifter_file(damaged)
    with pytest.raises(WeightsError) as err:
        load_lifter(damaged, numpy_ok=True)
    assert err.value.kind == "weights_corrupt"
    (tmp_path / "text.pt").write_text("not a checkpoint")
    with pytest.raises(LifterFileError):
        read_lifter_file(tmp_path / "text.pt")
    foreign = tmp_path / "foreign.pt"  # a pickle that would build something else: never unpickled
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("x/data.pkl", pickle.dumps({"format": Path("x")}))
        z.writestr("x/byteorder", "little")
    with pytest.raises(LifterFileError, match="no place"):
        read_lifter_file(foreign)


def test_long_clips_lift_with_torch_short_ones_in_numpy() -> None:
    # torch's import pays off once there is enough to lift (core.capture.NUMPY_LIFT_MAX_S)
    from core.capture import NUMPY_LIFT_MAX_S, _load_lifter

    short, device = _load_lifter(default_weights("offline"), "cpu", NUMPY_LIFT_MAX_S)
    long, _ = _load_lifter(default_weights("offline"), "cpu", NUMPY_LIFT_MAX_S + 1.0)
    assert device == "cpu" and isinstance(short, NumpyLifter | NumpyEnsemble) and isinstance(long, torch.nn.Module)


def test_cuda_builds_are_told_from_their_version_file() -> None:
    assert not version_file_says_cuda("__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n")
    assert not version_file_says_cuda("cuda = None\n")
    assert version_file_says_cuda("__version__ = '2.4.0+cu121'\ncuda: Optional[str] = '12.1'\n")


def test_a_cpu_capture_never_imports_torch(tmp_path: Path) -> None:
    # The capture's whole point on the CPU: torch's ≈ 2 s import no longer competes with detection.
    script = tmp_path / "capture.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(REPO_ROOT)!r}, {str(REPO_ROOT / 'tests' / 'helpers')!r}]\n"
        "import numpy as np\n"
        "from capture_helpers import ScriptedDetector, stick_figure, write_video\n"
        "from core.capture import run_capture\n"
        "from core.options import CaptureOptions\n"
        "if __name__ == '__main__':\n"
        f"    video = write_video({str(tmp_path / 'clip.mp4')!r}, 30, size=(320, 240))\n"
        "    fake = ScriptedDetector(stick_figure(30), np.ones((30, 17)), np.ones(30, bool))\n"
        f"    out = {str(tmp_path / 'out.npz')!r}\n"
        "    summary = run_capture(video, out, CaptureOptions(device='cpu'), detector=fake)\n"
        "    print('RESULT', summary['device'], summary['frames'], 'torch' in sys.modules)\n"
    )  # fmt: skip
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "RESULT cpu 30 False" in out.stdout, (out.stdout[-2000:], out.stderr[-2000:])

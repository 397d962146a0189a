"""core.lifter_ensemble / core.models.ensemble: the members' windows (hand-computed), the ensemble equals the mean of
its members frame for frame (torch, NumPy, live streaming), the file verifies every member and refuses mixtures,
and its model card carries every member's training facts."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import randomise_batchnorm

from core.errors import WeightsError
from core.eval.report import model_card
from core.lift import ShortClipWarning, lift_sequence, load_lifter
from core.lifter_ensemble import EnsembleError, NumpyEnsemble, check_member_configs, member_offsets
from core.models import LifterConfig, build_model, load_model, pad_sequence, predict, save_checkpoint
from core.models.checkpoint import CheckpointError, ChecksumError
from core.models.ensemble import EnsembleStreamer, LifterEnsemble, main, save_ensemble, streamer_for


def test_member_offsets_by_hand() -> None:
    # Offline 81 + 243: the 243 model's output 0 is input frame 121; the 81 model's output i is its frame i + 40,
    # so it must start reading at 121 - 40 = 81. Causal: frames 242 and i + 80 → 162.
    assert member_offsets([(81, 0), (243, 0)]) == (243, 0, [81, 0])
    assert member_offsets([(81, 40), (243, 121)]) == (243, 121, [162, 0])
    assert member_offsets([(27, 0), (81, 0), (27, 0)]) == (81, 0, [27, 0, 27])
    with pytest.raises(EnsembleError, match="nest"):
        member_offsets([(81, 0), (243, 121)])  # a centred member inside a causal window would need future frames


def test_members_must_agree() -> None:
    base = {"causal": False, "num_joints": 17, "joints": "mediapipe", "fps": 50.0}
    check_member_configs([base, dict(base)])
    with pytest.raises(EnsembleError, match="at least 2"):
        check_member_configs([base])
    for key, value in (("causal", True), ("num_joints", 16), ("joints", "skeleton"), ("fps", 25.0)):
        with pytest.raises(EnsembleError, match=key):
            check_member_configs([base, base | {key: value}])


def _member(tmp: Path, name: str, widths: tuple[int, ...], causal: bool, seed: int, arch: str = "attention") -> Path:
    torch.manual_seed(seed)
    config = LifterConfig(arch=arch, filter_widths=widths, channels=16, groups=4, reduction=4, causal=causal,
                          joints="mediapipe")  # fmt: skip
    model = build_model(config)
    randomise_batchnorm(model)
    path = tmp / f"{name}.pt"
    data = {"samples_per_epoch": 100, "extra_sets": ["hdm05"] if seed else []}
    save_checkpoint(path, model.eval(), extra={"command": f"train {name}", "epochs_done": 2, "wall_time_s": 10.0,
                                               "train_config": {"data": data}})  # fmt: skip
    return path


def _ensemble(tmp: Path, causal: bool) -> tuple[Path, list[Path]]:
    members = [_member(tmp, "small", (3, 3), causal, 0), _member(tmp, "big", (3, 3, 3), causal, 1)]
    path = tmp / "ensemble.pt"
    save_ensemble(path, members)
    return path, members


@pytest.mark.parametrize("causal", [False, True])
def test_the_ensemble_is_the_mean_of_its_members_frame_for_frame(tmp_path: Path, causal: bool) -> None:
    path, members = _ensemble(tmp_path, causal)
    ensemble = load_model(path)
    assert isinstance(ensemble, LifterEnsemble) and ensemble.receptive_field == 27
    assert ensemble.causal_shift == (13 if causal else 0) and ensemble.config.causal == causal
    x = torch.from_numpy(np.random.default_rng(0).normal(0, 0.4, (1, 50, 17, 2)).astype(np.float32))
    with torch.inference_mode():
        got = predict(ensemble, pad_sequence(ensemble, x), tta=True)[0]
        each = [predict(m, pad_sequence(m, x), tta=True)[0] for m in map(load_model, members)]
        assert got.shape == (50, 17, 3)
        torch.testing.assert_close(got, 0.5 * (each[0] + each[1]), atol=1e-6, rtol=0)
        windows = ensemble(x[:, :27])  # the contract's training path: one window, one pose
        assert windows.shape == (1, 1, 17, 3)
    # every member's weights once: what a device move or a parameter count sees
    assert sum(p.numel() for p in ensemble.parameters()) == sum(p.numel() for m in ensemble.members for p in
                                                                m.parameters())  # fmt: skip
    assert all(k.startswith("members.") for k in ensemble.state_dict())
    with pytest.raises(ValueError, match="fewer than the receptive field"):
        ensemble(x[:, :26])


@pytest.mark.parametrize("causal", [False, True])
def test_numpy_ensemble_lifts_as_the_torch_one(tmp_path: Path, causal: bool) -> None:
    path, _ = _ensemble(tmp_path, causal)
    ours = load_lifter(path, numpy_ok=True)
    assert isinstance(ours, NumpyEnsemble) and ours.receptive_field == 27 and ours.config.causal == causal
    xy = np.random.default_rng(1).uniform(100, 500, (60, 17, 2)).astype(np.float32)
    np.testing.assert_allclose(lift_sequence(ours, xy, 640, 480), lift_sequence(load_model(path), xy, 640, 480),
                               atol=1e-5)  # fmt: skip


def test_short_clips_warn_below_the_smallest_members_window(tmp_path: Path) -> None:
    path, _ = _ensemble(tmp_path, causal=False)  # members of 9 and 27 frames
    model = load_model(path)
    xy = np.random.default_rng(3).uniform(100, 500, (15, 17, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lift_sequence(model, xy, 640, 480).shape == (15, 17, 3)
    with pytest.warns(ShortClipWarning, match=r"\(9 frames\)"):
        lift_sequence(model, xy[:8], 640, 480)


def test_a_causal_ensemble_streams_as_it_lifts(tmp_path: Path) -> None:
    path, _ = _ensemble(tmp_path, causal=True)
    model = load_model(path)
    stream = streamer_for(model)
    assert isinstance(stream, EnsembleStreamer)
    x = np.random.default_rng(2).normal(0, 0.4, (40, 17, 2)).astype(np.float32)
    streamed = np.stack([stream.step(p) for p in x])
    with torch.inference_mode():
        whole = model(pad_sequence(model, torch.from_numpy(x)[None]))[0].numpy()
    np.testing.assert_allclose(streamed, whole, atol=1e-4)
    (tmp_path / "offline").mkdir()
    offline, _ = _ensemble(tmp_path / "offline", causal=False)
    with pytest.raises(ValueError, match="causal"):
        streamer_for(load_model(offline))


def test_the_file_verifies_every_member(tmp_path: Path) -> None:
    path, _ = _ensemble(tmp_path, causal=False)
    payload = torch.load(path, weights_only=True)
    payload["members"][1]["state_dict"]["shrink.bias"] += 1.0
    torch.save(payload, tmp_path / "edited.pt")
    with pytest.raises(ChecksumError):
        load_model(tmp_path / "edited.pt")
    for numpy_ok in (False, True):
        with pytest.raises(WeightsError) as info:
            load_lifter(tmp_path / "edited.pt", numpy_ok=numpy_ok)
        assert info.value.kind == "weights_corrupt" and "checksum" in str(info.value)
    payload = torch.load(path, weights_only=True)
    payload["members"] = payload["members"][::-1]  # each member intact, the recorded order is not
    torch.save(payload, tmp_path / "reordered.pt")
    with pytest.raises(ChecksumError, match="members"):
        load_model(tmp_path / "reordered.pt")


def test_members_that_cannot_be_combined_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    offline = _member(tmp_path, "offline", (3, 3), False, 0)
    causal = _member(tmp_path, "causal", (3, 3), True, 1)
    with pytest.raises(EnsembleError, match="causal"):
        save_ensemble(tmp_path / "mixed.pt", [offline, causal])
    assert not (tmp_path / "mixed.pt").exists()
    with pytest.raises(FileNotFoundError):
        save_ensemble(tmp_path / "nested.pt", [offline, tmp_path / "missing.pt"])
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        save_ensemble(tmp_path / "nested.pt", [offline, tmp_path / "junk.pt"])
    assert not (tmp_path / "nested.pt").exists()
    for argv, message in (([offline, causal, "--out", offline], "must not be one of the members"),
                          ([offline, causal, "--out", tmp_path / "x.pt"], "must agree on 'causal'")):  # fmt: skip
        with pytest.raises(SystemExit):
            main([str(a) for a in argv])
        assert message in capsys.readouterr().err


def test_the_model_card_lists_every_member(tmp_path: Path) -> None:
    path, members = _ensemble(tmp_path, causal=False)
    report = {"model": {"config": {}, "causal_shift": 0}, "results": {"rig-clean": {"mean": {"mpjpe": 1.0,
              "p_mpjpe": 0.5, "n_mpjpe": 0.7}}}, "subjects": ["08"], "flip_tta": True}  # fmt: skip
    card = json.loads(json.dumps(model_card(path, report)))
    training = card["training"]
    assert [m["file"] for m in training["members"]] == [p.as_posix() for p in members]
    assert [m["training"]["command"] for m in training["members"]] == ["train small", "train big"]
    assert training["samples_seen"] == 400 and training["wall_time_s"] == 20.0  # 2 × (2 epochs × 100), 2 × 10 s
    assert "licence" in card  # one member was trained on HDM05
    assert training["ensemble_command"].startswith("python -m core.models.ensemble")
    assert card["validation"]["lr_swaps_undone"] is True  # an offline ensemble is scored as capture lifts

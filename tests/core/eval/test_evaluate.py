"""Evaluation (core.eval.cli): sequence padding, metric aggregation by hand, and the CLI's markdown/JSON/model card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import synthetic_sequences

from core.data.validation_set import EvalSequence
from core.eval import cli as evaluate
from core.eval.report import CMU_ACKNOWLEDGEMENT, baseline_of
from core.models import LifterConfig, build_model, read_checkpoint, save_checkpoint


class ZeroLifter(torch.nn.Module):
    """Predicts every joint at the root: MPJPE is then the mean distance of the joints from the root."""

    receptive_field = 3
    causal_shift = 0

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], x.shape[1] - 2, x.shape[2], 3)


@pytest.mark.parametrize("causal", [False, True])
def test_predict_sequence_pads_to_one_output_per_frame(causal: bool) -> None:
    torch.manual_seed(0)
    model = build_model(LifterConfig(arch="attention", filter_widths=(3, 3), channels=16, causal=causal)).eval()
    x = np.random.default_rng(0).normal(size=(20, 17, 2)).astype(np.float32)
    pred = evaluate.predict_sequence(model, x, tta=False, upright=False)  # the padding as such
    assert pred.shape == (20, 17, 3) and np.all(pred[:, 0] == 0)
    # frame 0 of a causal model sees only frame 0 repeated; of a centred model frames 0 (x5) .. 4
    left = 8 if causal else 4
    window = np.concatenate([np.repeat(x[:1], left, axis=0), x[: 9 - left]])
    with torch.no_grad():
        ref = model(torch.from_numpy(window)[None])[0, 0].numpy()
    ref[0] = 0
    np.testing.assert_allclose(pred[0], ref, atol=1e-5)


def test_aggregation_is_frame_weighted_within_and_unweighted_across_groups() -> None:
    rng = np.random.default_rng(1)
    seqs = []
    for name, group, frames, scale in (("a1", "A", 10, 1.0), ("a2", "A", 30, 2.0), ("b1", "B", 5, 4.0)):
        y = rng.normal(size=(frames, 17, 3)).astype(np.float32) * scale
        y -= y[:, :1]
        seqs.append(EvalSequence(name, group, "0", np.zeros((frames, 17, 2), np.float32), y))
    res = evaluate.evaluate_sequences(ZeroLifter(), seqs, tta=False)
    norms = [np.linalg.norm(s.y3d, axis=-1).mean() * 1000 for s in seqs]
    group_a = (norms[0] * 10 + norms[1] * 30) / 40
    assert res["groups"]["A"]["mpjpe"] == pytest.approx(group_a, rel=1e-5)
    assert res["groups"]["B"]["mpjpe"] == pytest.approx(norms[2], rel=1e-5)
    assert res["mean"]["mpjpe"] == pytest.approx((group_a + norms[2]) / 2, rel=1e-5)
    assert res["groups"]["A"]["frames"] == 40 and res["mean"]["frames"] == 45
    # every metric is present and a zero prediction has a non-zero velocity error for moving joints
    assert set(evaluate.METRICS) <= set(res["mean"]) and res["mean"]["mpjve"] > 0


@pytest.mark.parametrize("causal", [False, True])
def test_as_lifted_undoes_whole_body_swaps_for_offline_models_only(causal: bool) -> None:
    """Capture repairs whole-body left/right label swaps before an offline model lifts; live mode cannot."""
    from core.skeleton import FLIP_PERMUTATION

    seq = synthetic_sequences(9, noisy=False, count=1, frames=40)[0]
    flipped = seq.x2d.copy()
    flipped[10:20] = flipped[10:20][:, list(FLIP_PERMUTATION)]
    swapped = EvalSequence(seq.name, seq.group, seq.camera, flipped, seq.y3d)
    model = build_model(LifterConfig(arch="attention", filter_widths=(3, 3), channels=16, causal=causal))
    (out,) = evaluate.as_lifted([swapped], model)
    np.testing.assert_array_equal(out.x2d, flipped if causal else seq.x2d)
    assert out.y3d is seq.y3d and out.name == seq.name
    (clean,) = evaluate.as_lifted([seq], model)  # an unswapped track is left alone
    np.testing.assert_array_equal(clean.x2d, seq.x2d)


def test_cli_writes_markdown_json_and_model_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = build_model(LifterConfig(arch="attention", filter_widths=(3, 3), channels=16))
    ckpt = tmp_path / "tiny.pt"
    save_checkpoint(
        ckpt,
        model,
        extra={"command": "python -m core.train --config configs/tiny_test.toml", "epochs_done": 2, "wall_time_s": 1.5},
    )
    monkeypatch.setattr(
        evaluate,
        "load_sequences",
        lambda data, cond, args, joints: synthetic_sequences(9, cond != "clean", count=2, frames=30),
    )
    md, js, card = tmp_path / "out.md", tmp_path / "out.json", tmp_path / "card.json"
    assert (
        evaluate.main(
            [
                "--checkpoint",
                str(ckpt),
                "--markdown",
                str(md),
                "--json",
                str(js),
                "--model-card",
                str(card),
                "--tta",
                "on",
            ]
        )
        == 0
    )
    text = md.read_text()
    assert "## clean 2D" in text and "## noisy 2D" in text
    assert "| synth_0 |" in text and "| synth_1 |" in text and "**mean**" in text
    report = json.loads(js.read_text())
    assert report["flip_tta"] is True and set(report["results"]) == {"clean", "noisy"}
    for condition in ("clean", "noisy"):
        mean = report["results"][condition]["mean"]
        assert mean["frames"] == 60 and all(np.isfinite(mean[m]) and mean[m] > 0 for m in evaluate.METRICS)
    model_card = json.loads(card.read_text())
    assert model_card["acknowledgement"] == CMU_ACKNOWLEDGEMENT
    assert model_card["weights_sha256"] == read_checkpoint(ckpt)["sha256"]
    assert model_card["training"]["epochs"] == 2
    assert model_card["validation"]["mpjpe_noisy_mm"] == pytest.approx(
        report["results"]["noisy"]["mean"]["mpjpe"], abs=0.01
    )


def test_cli_rejects_a_model_card_without_both_conditions(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="needs --noise both"):
        evaluate.main(["--checkpoint", str(tmp_path / "x.pt"), "--noise", "clean", "--model-card", "c.json"])


def test_cli_compares_checkpoints_against_a_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = []
    for k, arch in enumerate(("attention", "videopose")):
        torch.manual_seed(k)
        paths.append(tmp_path / f"{arch}.pt")
        save_checkpoint(paths[-1], build_model(LifterConfig(arch=arch, filter_widths=(3, 3), channels=16)))
    monkeypatch.setattr(
        evaluate,
        "load_sequences",
        lambda data, cond, args, joints: synthetic_sequences(9, cond != "clean", count=2, frames=20),
    )
    md, js = tmp_path / "cmp.md", tmp_path / "cmp.json"
    evaluate.main(
        [
            "--checkpoint",
            str(paths[0]),
            "--baseline",
            str(paths[1]),
            "--noise",
            "clean",
            "--markdown",
            str(md),
            "--json",
            str(js),
        ]
    )
    payload = json.loads(js.read_text())
    attention, baseline = (r["results"]["clean"]["mean"]["mpjpe"] for r in payload["reports"])
    rows = [line for line in md.read_text().splitlines() if line.startswith("| `")]
    assert "clean MPJPE / baseline" in md.read_text() and len(rows) == 2
    assert rows[0].endswith(f"| {attention / baseline:.3f} |") and rows[1].endswith("| 1.000 |")


def test_cli_takes_each_ratio_to_the_baseline_of_the_same_receptive_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = {}
    models = (("attention", (3, 3)), ("attention", (3, 3, 3)), ("videopose", (3, 3, 3)), ("videopose", (3, 3)))
    for arch, widths in models:
        torch.manual_seed(len(paths))
        paths[arch, len(widths)] = tmp_path / f"{arch}{len(widths)}.pt"
        save_checkpoint(paths[arch, len(widths)],
                        build_model(LifterConfig(arch=arch, filter_widths=widths, channels=16)))  # fmt: skip
    monkeypatch.setattr(
        evaluate,
        "load_sequences",
        lambda data, cond, args, joints: synthetic_sequences(9, cond != "clean", count=2, frames=20),
    )
    md, js = tmp_path / "cmp.md", tmp_path / "cmp.json"
    order = [("attention", 2), ("attention", 3), ("videopose", 3), ("videopose", 2)]
    evaluate.main(["--checkpoint", str(paths[order[0]]), str(paths[order[1]]),
                   "--baseline", str(paths[order[2]]), str(paths[order[3]]),
                   "--noise", "clean", "--markdown", str(md), "--json", str(js)])  # fmt: skip
    mpjpe = dict(zip(order, (r["results"]["clean"]["mean"]["mpjpe"] for r in json.loads(js.read_text())["reports"])))
    rows = {key: line for key in order for line in md.read_text().splitlines() if line.startswith(f"| `{paths[key]}`")}
    for arch, depth in order:  # receptive field 9 against the rf-9 baseline, 27 against the rf-27 one
        base = ("videopose", depth)
        cells = rows[arch, depth].strip("| ").split(" | ")
        assert cells[5] == f"`{paths[base]}`" and cells[-1] == f"{mpjpe[arch, depth] / mpjpe[base]:.3f}"
    assert mpjpe["videopose", 2] != pytest.approx(mpjpe["videopose", 3])  # the choice of baseline shows


def test_baseline_of_falls_back_to_the_first_baseline() -> None:
    def report(name: str, rf: int) -> dict:
        return {"checkpoint": name, "model": {"receptive_field": rf}}

    bases = [report("vp81", 81), report("vp243", 243)]
    assert [baseline_of(report("a", rf), bases)["checkpoint"] for rf in (243, 81, 27)] == [
        "vp243", "vp81", "vp81"]  # fmt: skip
    assert baseline_of(report("a", 81), []) is None


def test_baseline_of_prefers_the_twin_of_the_same_causality() -> None:
    def report(name: str, rf: int, causal: bool) -> dict:
        return {"checkpoint": name, "model": {"receptive_field": rf, "config": {"causal": causal}}}

    bases = [report("vp243", 243, False), report("vp243c", 243, True), report("vp81", 81, False)]
    assert baseline_of(report("a", 243, True), bases)["checkpoint"] == "vp243c"
    assert baseline_of(report("a", 243, False), bases)["checkpoint"] == "vp243"
    assert baseline_of(report("a", 81, True), bases)["checkpoint"] == "vp81"  # no causal twin: the same field


def test_h36m_sequences_from_videopose3d_format_files(tmp_path: Path, shared_dir: Path) -> None:
    rng = np.random.default_rng(0)
    T = 12
    joints32 = (rng.normal(scale=0.2, size=(T, 32, 3)) + [0.0, 0.0, 1.0]).astype(np.float32)
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d={"S9": {"Walking 1": joints32}})
    tracks = [rng.uniform(0, 1000, size=(T + 2, 17, 2)).astype(np.float32) for _ in range(4)]  # 2D may be longer
    meta = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d={"S9": {"Walking 1": tracks}}, metadata=meta)
    seqs = evaluate.h36m_sequences(tmp_path, "gt", subjects=("S9",), cameras_json=shared_dir / "data/h36m/cameras.json")
    assert [s.group for s in seqs] == ["Walking"] * 4
    from core.data.h36m import KEPT_JOINTS, load_cameras

    cam = load_cameras(shared_dir / "data/h36m/cameras.json")["S9"][2]
    x_cam = cam.world_to_camera(joints32[:, KEPT_JOINTS].astype(np.float64))
    np.testing.assert_allclose(seqs[2].y3d, x_cam - x_cam[:, :1], atol=1e-5)
    np.testing.assert_allclose(seqs[2].x2d, tracks[2][:T] / cam.width * 2 - [1, cam.height / cam.width], atol=1e-5)
    noisy = evaluate.h36m_sequences(tmp_path, "gt", noisy=True, subjects=("S9",),
                                    cameras_json=shared_dir / "data/h36m/cameras.json")  # fmt: skip
    assert not np.allclose(noisy[0].x2d, seqs[0].x2d) and np.array_equal(noisy[0].y3d, seqs[0].y3d)


def test_cli_explains_missing_h36m_files(tmp_path: Path) -> None:
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, build_model(LifterConfig(arch="videopose", filter_widths=(3,), channels=8)))
    with pytest.raises(SystemExit, match="vision.imar.ro"):
        evaluate.main(["--checkpoint", str(ckpt), "--data", "h36m", "--h36m-dir", str(tmp_path / "nowhere")])

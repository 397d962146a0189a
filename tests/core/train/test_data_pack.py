"""core.train.data_pack: a packed run trains on exactly the data an unpacked one reads, and bad packs are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from repo import REPO_ROOT

from core.data.dataset import build_training_data
from core.models import build_model
from core.train.config import TrainConfig
from core.train.data_pack import DataPackError, read_pack, write_pack
from core.train.loop import main


def _config() -> TrainConfig:
    return TrainConfig.from_toml(REPO_ROOT / "configs" / "tiny_test.toml")


def test_pack_gives_the_same_batches_and_validation_windows(tmp_path: Path, shared_dir: Path) -> None:
    cfg = _config()
    pack = write_pack(cfg, tmp_path / "tiny.pack")
    model = build_model(cfg.model)
    direct = build_training_data(cfg.data, model.receptive_field, model.causal_shift, REPO_ROOT, seed=cfg.run.seed,
                                 joints=cfg.model.joints)  # fmt: skip
    packed = read_pack(pack, cfg)
    batches = [d.train.sample(np.random.default_rng(5), 16) for d in (direct, packed)]
    for a, b in zip(*batches):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(direct.val.x_noisy, packed.val.x_noisy)
    np.testing.assert_array_equal(direct.val.y, packed.val.y)
    # the windows are cut when the pack is read: a model of another receptive field can use the same pack
    causal = TrainConfig.from_dict({**cfg.to_dict(), "model": {**cfg.to_dict()["model"], "causal": True}})
    assert read_pack(pack, causal).train.offsets.max() == 0  # causal: the window ends at its target frame
    # and core.train runs from it (one step), with no ../shared needed
    assert main(["--config", str(REPO_ROOT / "configs" / "tiny_test.toml"), "--data-pack", str(pack), "--out",
                 str(tmp_path / "run"), "--max-steps", "1"]) == 0  # fmt: skip


def test_pack_for_other_data_or_damaged_is_refused(tmp_path: Path, shared_dir: Path) -> None:
    cfg = _config()
    pack = write_pack(cfg, tmp_path / "tiny.pack")
    other_seed = TrainConfig.from_dict({**cfg.to_dict(), "run": {**cfg.to_dict()["run"], "seed": 2}})
    with pytest.raises(DataPackError, match="packed for other data"):
        read_pack(pack, other_seed)
    raw = bytearray(pack.read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "bad.pack").write_bytes(bytes(raw))
    with pytest.raises(DataPackError, match="damaged"):
        read_pack(tmp_path / "bad.pack", cfg)
    (tmp_path / "not.pack").write_bytes(b"hello")
    with pytest.raises(DataPackError, match="not a training data pack"):
        read_pack(tmp_path / "not.pack", cfg)

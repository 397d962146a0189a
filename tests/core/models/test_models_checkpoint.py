"""Model files: round trip, weights-only loading, checksum and format errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

from core.models import (
    CheckpointError,
    ChecksumError,
    LifterConfig,
    build_model,
    load_model,
    read_checkpoint,
    save_checkpoint,
)
from core.models.checkpoint import weights_sha256


def trained_like(arch: str, causal: bool = False) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(
        LifterConfig(arch=arch, filter_widths=(3, 3, 3), channels=16, groups=4, reduction=8, causal=causal)
    )
    model.train()
    model(torch.randn(4, 27, 17, 2))  # moves the BatchNorm running statistics off their defaults
    return model.eval()


@pytest.mark.parametrize("arch", ["attention", "videopose"])
@pytest.mark.parametrize("causal", [False, True])
def test_round_trip(tmp_path: Path, arch: str, causal: bool) -> None:
    model = trained_like(arch, causal)
    path = tmp_path / "sub" / "lifter.pt"
    sha = save_checkpoint(path, model, extra={"epochs": 3, "val": {"mpjpe_mm": 51.5}, "note": None})
    raw = torch.load(path, weights_only=True)  # the file needs no pickled classes
    assert raw["sha256"] == sha == weights_sha256(model.state_dict())
    assert raw["extra"]["val"]["mpjpe_mm"] == 51.5
    loaded = load_model(path)
    assert not loaded.training
    assert loaded.config == model.config and type(loaded) is type(model)
    x = torch.randn(1, 40, 17, 2)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert read_checkpoint(path)["config"] == model.config.to_dict()
    assert not list(tmp_path.glob("sub/*.tmp"))  # atomic write leaves no temporary file


def _flip_weight_bytes(path: Path, model: torch.nn.Module) -> None:
    """Corrupts one float of a stored weight tensor in place, keeping the zip container valid."""
    needle = model.state_dict()["shrink.weight"].numpy().tobytes()[:64]
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at > 0, "weight bytes not found in the file (storage layout changed?)"
    data[at + 1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupted_weights_raise_checksum_error(tmp_path: Path) -> None:
    model = trained_like("attention")
    path = tmp_path / "lifter.pt"
    save_checkpoint(path, model)
    _flip_weight_bytes(path, model)
    with pytest.raises(ChecksumError, match="sha256.*corrupted"):
        load_model(path)
    with pytest.raises(CheckpointError):  # ChecksumError is a CheckpointError
        read_checkpoint(path)


def test_damaged_or_foreign_files_raise_checkpoint_error(tmp_path: Path) -> None:
    model = trained_like("videopose")
    path = tmp_path / "lifter.pt"
    save_checkpoint(path, model)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="could not be read"):
        load_model(truncated)
    foreign = tmp_path / "state_dict.pt"
    torch.save(model.state_dict(), foreign)
    with pytest.raises(CheckpointError, match="not a Video Mocap lifter"):
        load_model(foreign)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_model(tmp_path / "missing.pt")
    assert zipfile.is_zipfile(path)


def test_tampered_config_is_reported(tmp_path: Path) -> None:
    model = trained_like("attention")
    path = tmp_path / "lifter.pt"
    save_checkpoint(path, model)
    payload = torch.load(path, weights_only=True)
    payload["config"]["channels"] = 32  # weights no longer fit
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(path)
    payload["config"]["colour"] = "red"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="unknown lifter config key"):
        load_model(path)


def test_save_rejects_non_plain_extra_and_foreign_models(tmp_path: Path) -> None:
    model = trained_like("attention")
    with pytest.raises(TypeError, match="weights-only"):
        save_checkpoint(tmp_path / "a.pt", model, extra={"path": Path("/tmp")})
    with pytest.raises(TypeError, match="LifterConfig"):
        save_checkpoint(tmp_path / "b.pt", torch.nn.Linear(2, 2))

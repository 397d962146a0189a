"""A run's training data packed into one file, for a machine without ``../shared`` beside the checkout (a lent GPU).

    python -m core.train.data_pack --config configs/realvideo243_offline.toml --out .gpu/realvideo243.pack
    python -m core.train --config configs/realvideo243_offline.toml --data-pack .gpu/realvideo243.pack --out ...

The pack holds :class:`core.data.dataset.TrainingSources` (the training motions in the model's joints, the camera
pool fitted for the run's seed, the validation sequences), pickled and xz-compressed (~0.8 of the size: the pack
must travel in a 64 MiB tree), with the key it was built
from: the ``[data]`` section, the seed and the joint definition. ``core.train`` refuses a pack whose key differs from
its run's, so a packed run trains on exactly the data an unpacked one reads (same batches, same validation windows),
and any model geometry can use it (the windows are cut when the pack is read). A pack is a pickle: load only packs
you made.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ..data.dataset import TrainingData, TrainingSources, assemble_training_data, load_training_sources
from ..models import build_model
from .config import TrainConfig

MAGIC = b"video-mocap training data pack v1\n"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _array(data: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()


def _scalar(data: bytes, dtype: str) -> np.generic:
    return np.frombuffer(data, dtype=np.dtype(dtype))[0]


class _Pickler(pickle.Pickler):
    """Stores numpy arrays, scalars and dtypes as bytes and dtype strings: numpy's own pickles name private modules
    that numpy 2 renamed (numpy.core -> numpy._core), and the machine that reads a pack may run another numpy."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray) and obj.dtype != object:
            return _array, (np.ascontiguousarray(obj).tobytes(), obj.dtype.str, obj.shape)
        if isinstance(obj, np.generic):
            return _scalar, (obj.tobytes(), obj.dtype.str)
        if isinstance(obj, np.dtype):
            return np.dtype, (obj.str,)
        return NotImplemented


class DataPackError(ValueError):
    """The file is not a pack, is damaged, or was built for other data."""


def pack_key(config: TrainConfig) -> dict[str, Any]:
    """What the packed data depends on: the [data] section, the run's seed (camera pool) and the joints."""
    return {"data": config.to_dict()["data"], "seed": config.run.seed, "joints": config.model.joints}


def write_pack(config: TrainConfig, out: str | Path, repo_root: Path = REPO_ROOT) -> Path:
    """Loads ``config``'s training sources from ``../shared`` and writes them to ``out``."""
    sources = load_training_sources(config.data, repo_root, seed=config.run.seed, joints=config.model.joints)
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(sources)
    blob = lzma.compress(buffer.getvalue())
    header = json.dumps({"key": pack_key(config), "sha256": hashlib.sha256(blob).hexdigest()}).encode()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(MAGIC + len(header).to_bytes(8, "little") + header + blob)
    return out


def read_pack(path: str | Path, config: TrainConfig) -> TrainingData:
    """The training data of ``config`` from a pack written for the same key (else :class:`DataPackError`)."""
    raw = Path(path).read_bytes()
    if not raw.startswith(MAGIC):
        raise DataPackError(f"{path}: not a training data pack (write one with python -m core.train.data_pack)")
    n = int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 8], "little")
    start = len(MAGIC) + 8
    header, blob = json.loads(raw[start : start + n]), raw[start + n :]
    if hashlib.sha256(blob).hexdigest() != header["sha256"]:
        raise DataPackError(f"{path}: damaged (its sha256 does not match)")
    if header["key"] != json.loads(json.dumps(pack_key(config))):
        raise DataPackError(f"{path}: packed for other data, seed or joints than this run's config")
    sources = pickle.loads(lzma.decompress(blob))
    if not isinstance(sources, TrainingSources):
        raise DataPackError(f"{path}: holds {type(sources).__name__}, not TrainingSources")
    model = build_model(config.model)
    return assemble_training_data(sources, config.data, model.receptive_field, model.causal_shift)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train.data_pack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="experiment TOML (configs/*.toml)")
    parser.add_argument("--out", type=Path, required=True, help="pack file to write")
    args = parser.parse_args(argv)
    out = write_pack(TrainConfig.from_toml(args.config), args.out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    # through the imported module, so the pickle names core.train.data_pack._array, not __main__._array
    from core.train.data_pack import main as _main

    raise SystemExit(_main())

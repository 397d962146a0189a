"""The attention lifter's inference in NumPy: what a CPU capture runs, so that it never imports torch.

Importing torch costs about a second of CPU on the 2-core machine (``python -m bench.lift_path``), and on a CPU the
lifting itself is a fraction of a second; the capture's detection processes need those cores. This module reads the
same ``weights/*.pt`` files without torch (they are zip archives of a pickle and raw little-endian arrays; only the
few classes a lifter file holds may be unpickled, and the weights' sha256 is checked as ``core.models`` does) and runs
the model's window forward (``AttentionLifter.forward_windows``: Liu et al. 2020 §3–4, eval mode, BatchNorm folded)
batched over every target frame, with layer 0 computed once per frame and shared by the windows, and layer 1's
convolutions from per-frame products that the windows only weigh and add (its input is a per-position attention
weight times layer 0's output: ``NumpyLifter._shared_branch``).
``tests/core/test_lifter_numpy.py`` holds it equal to the torch model. The VideoPose3D lifter's NumPy inference is
``core.videopose_numpy`` (an ensemble may hold both); training, CUDA and live streaming stay with ``core.models``.
"""

from __future__ import annotations

import collections
import hashlib
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .lifter_ensemble import FORMAT as ENSEMBLE_FORMAT
from .lifter_ensemble import EnsembleChecksumError, EnsembleError, NumpyEnsemble, check_file_payload
from .lifter_geometry import anchor, num_units, unit_anchors, unit_dilation, unit_taps
from .numpy_layers import NumpyModel, folded_bn, relu
from .videopose_numpy import NumpyVideoPose

FORMAT, FORMAT_VERSION = "video_mocap.lifter", 1  # as core.models.checkpoint writes them
_TARGETS_PER_BATCH = 256
# torch storage class → (NumPy dtype, the name torch prints for it: part of the weights' sha256)
_STORAGES = {"FloatStorage": (np.float32, "torch.float32"), "DoubleStorage": (np.float64, "torch.float64"),
             "HalfStorage": (np.float16, "torch.float16"), "LongStorage": (np.int64, "torch.int64"),
             "IntStorage": (np.int32, "torch.int32"), "BoolStorage": (np.bool_, "torch.bool")}  # fmt: skip


class LifterFileError(ValueError):
    """The file is not a readable lifter checkpoint."""


class LifterChecksumError(LifterFileError):
    """The weights do not match the sha256 stored with them."""


class _Tensor(np.ndarray):
    """An array that remembers torch's name for its dtype (the sha256 covers it)."""

    torch_dtype = ""


def _rebuild_tensor(storage: tuple[np.ndarray, str], offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                    *_: Any) -> np.ndarray:  # fmt: skip
    data, name = storage
    item = data.itemsize
    view = np.lib.stride_tricks.as_strided(data[offset:], shape=tuple(size), strides=[s * item for s in stride])
    out = np.array(view, order="C").view(_Tensor)  # a copy; 0-d stays 0-d (ascontiguousarray would make it 1-d)
    out.torch_dtype = name
    return out


class _Unpickler(pickle.Unpickler):
    """The classes of a lifter file and nothing else (like ``torch.load(weights_only=True)``)."""

    def __init__(self, file: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in _STORAGES:
            return name
        raise pickle.UnpicklingError(f"{module}.{name} has no place in a lifter file")

    def persistent_load(self, pid: Any) -> tuple[np.ndarray, str]:
        kind, storage, key, _location, numel = pid
        if kind != "storage" or storage not in _STORAGES:
            raise pickle.UnpicklingError(f"unexpected storage {pid!r}")
        dtype, name = _STORAGES[storage]
        raw = self.archive.read(f"{self.prefix}/data/{key}")
        return np.frombuffer(raw, dtype=dtype, count=int(numel)), name


def weights_sha256(state: dict[str, np.ndarray]) -> str:
    """``core.models.checkpoint.weights_sha256`` of arrays read by :func:`read_lifter_file`."""
    digest = hashlib.sha256()
    for name in sorted(state):
        t = state[name]
        digest.update(f"{name}|{t.torch_dtype}|{tuple(t.shape)}|".encode())
        digest.update(np.ascontiguousarray(t).tobytes())
    return digest.hexdigest()


def read_lifter_file(path: str | Path) -> dict[str, Any]:
    """The verified payload of a lifter file without torch: a single lifter's (``config`` dict, ``state_dict`` of
    arrays, ...) or an ensemble's (``members``, each with its own; ``core.lifter_ensemble``)."""
    path = Path(path)
    payload = _unpickle(path)
    if isinstance(payload, dict) and payload.get("format") == ENSEMBLE_FORMAT:
        return _verified_ensemble(path, payload)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise LifterFileError(f"{path} is not a Video Mocap lifter checkpoint (expected format {FORMAT!r})")
    if payload.get("format_version") != FORMAT_VERSION or not {"config", "state_dict", "sha256"} <= set(payload):
        raise LifterFileError(f"{path} has an unknown lifter format version {payload.get('format_version')!r}")
    _verify(path, payload["state_dict"], payload["sha256"])
    return payload


def _unpickle(path: Path) -> Any:
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise LifterFileError(f"{path} is not a torch archive (no single data.pkl)")
            prefix = pickles[0][: -len("/data.pkl")]
            if archive.read(f"{prefix}/byteorder").strip() != b"little":
                raise LifterFileError(f"{path} stores big-endian arrays")
            with archive.open(pickles[0]) as f:
                return _Unpickler(f, archive, prefix).load()
    except (zipfile.BadZipFile, KeyError, pickle.UnpicklingError, ValueError, EOFError, TypeError) as exc:
        if isinstance(exc, LifterFileError):
            raise
        raise LifterFileError(f"{path} could not be read as a lifter checkpoint (damaged or wrong file): {exc}") \
            from exc


def _verify(path: Path, state: dict[str, np.ndarray], recorded: str) -> None:
    actual = weights_sha256(state)
    if actual != recorded:
        raise LifterChecksumError(f"{path}: the weights' sha256 is {actual} but the file records {recorded}")


def _verified_ensemble(path: Path, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        members = check_file_payload(payload)
    except EnsembleChecksumError as exc:
        raise LifterChecksumError(f"{path}: {exc}") from exc
    except EnsembleError as exc:
        raise LifterFileError(f"{path}: {exc}") from exc
    for member in members:
        _verify(path, member["state_dict"], member["sha256"])
    return payload


class NumpyLifter(NumpyModel):
    """An attention lifter's weights (BatchNorm folded) and its batched window forward."""

    arch = "attention"

    def __init__(self, config: dict[str, Any], state: dict[str, np.ndarray]) -> None:
        super().__init__(config)
        w = {k: np.asarray(v, np.float32) for k, v in state.items()}

        def bn(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            return folded_bn(w, prefix)

        k0 = self.config.filter_widths[0]
        self.expand = (w["expand_conv.weight"].transpose(2, 1, 0).reshape(k0 * 2 * self.config.num_joints, -1),
                       *bn("expand_bn"))  # fmt: skip
        self.thetas = [w[f"temporal_attention.thetas.{i}.weight"].T for i in range(len(self.config.filter_widths) - 1)]
        self.layers = [self._layer(w, bn, i) for i in range(len(self.config.filter_widths) - 1)]
        self.shrink = (w["shrink.weight"][:, :, 0].T, w["shrink.bias"])

    def _layer(self, w: dict[str, np.ndarray], bn: Any, i: int) -> dict[str, Any]:
        c, g, k = self.config.channels, self.config.groups, self.config.filter_widths[i + 1]
        p, cg = f"layers.{i}.", c // g
        branches = []
        for m in range(self.config.branches):
            weight = w[p + f"branch_convs.{m}.weight"].reshape(g, cg, cg, k)  # (group, out, in, tap)
            branches.append((weight.transpose(0, 3, 2, 1).reshape(g, k * cg, cg), *bn(p + f"branch_bns.{m}")))
        return {"kernel": k, "branches": branches, "reduce": w[p + "fc_reduce.weight"].T, "reduce_bn": bn(p + "fc_bn"),
                "expand": w[p + "fc_expand.weight"].T, "expand_b": w[p + "fc_expand.bias"],
                "point": w[p + "point_conv.weight"][:, :, 0].T, "point_bn": bn(p + "point_bn")}  # fmt: skip

    def _unit(self, layer: dict[str, Any], x: np.ndarray, dilation: int,
              shared: tuple[list[np.ndarray], np.ndarray, np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
        """An attention layer's unit (``core.models.attention.AttentionLayer.forward``): (N, P, C) → (N, P_out, C).
        ``shared``: layer 1's branch convolutions from per-frame products (:meth:`_layer1_products`)."""
        n, p, c = x.shape
        k, g, causal = layer["kernel"], self.config.groups, self.config.causal
        feats = []
        for m, (weight, scale, shift) in enumerate(layer["branches"]):
            taps = unit_taps(p, k, dilation, m, causal)  # (P_out, k), clamped: replicate padding
            p_out = len(taps)
            if shared is not None:
                y = self._shared_branch(shared, m, taps)
            else:
                win = x[:, taps].reshape(n * p_out, k, g, c // g).transpose(2, 0, 1, 3).reshape(g, n * p_out, -1)
                y = np.matmul(win, weight).transpose(1, 0, 2).reshape(n, p_out, c)
            feats.append(self.act(y * scale + shift))
        z = relu(sum(feats).mean(axis=1) @ layer["reduce"] * layer["reduce_bn"][0] + layer["reduce_bn"][1])
        logits = (z @ layer["expand"] + layer["expand_b"]).reshape(n, len(feats), c)
        att = np.exp(logits - logits.max(axis=1, keepdims=True))
        att /= att.sum(axis=1, keepdims=True)
        v = sum(f * att[:, m, None, :] for m, f in enumerate(feats))
        # 2-D products: NumPy runs a 3-D @ 2-D product as one small BLAS call per window (4× slower here)
        point = (v.reshape(-1, c) @ layer["point"]).reshape(v.shape)
        y = self.act(point * layer["point_bn"][0] + layer["point_bn"][1])
        return x[:, unit_anchors(p, k, dilation, causal)] + y

    @staticmethod
    def _shared_branch(shared: tuple[list[np.ndarray], np.ndarray, np.ndarray], m: int,
                       taps: np.ndarray) -> np.ndarray:  # fmt: skip
        """Branch ``m``'s convolution of layer 1 for every window, from per-frame products: (N, P_out, C).

        Layer 1's input at a window's position is the temporal-attention weight there (a scalar, eq. 4) times layer
        0's output at that position's frame, which every window sees alike. The convolution is linear, so it is the
        sum over its taps of weight × (the tap's kernel slice applied to that frame's features): the products are
        computed once per frame (:meth:`_layer1_products`), each window only weighs and adds them."""
        products, weights, frames = shared  # (k, T', C) per branch; (N, P) attention weights; (N, P) frame of each
        y = 0.0
        for tau in range(taps.shape[1]):
            y = y + weights[:, taps[:, tau], None] * products[m][tau][frames[:, taps[:, tau]]]
        return y

    def _layer1_products(self, features: np.ndarray) -> list[np.ndarray]:
        """(T', C) layer 0's unit-0 output per frame → per branch of layer 1, (k, T', C): each tap's slice of the
        grouped kernel applied to every frame (the per-frame half of :meth:`_shared_branch`)."""
        layer, g = self.layers[0], self.config.groups
        k, cg = layer["kernel"], self.config.channels // g
        grouped = features.reshape(len(features), g, cg).transpose(1, 0, 2)  # (g, T', cg)
        out = []
        for weight, _, _ in layer["branches"]:  # (g, k·cg, cg): rows tap-major, then input channel
            taps = weight.reshape(g, k, cg, cg)
            out.append(np.stack([np.matmul(grouped, taps[:, t]).transpose(1, 0, 2).reshape(len(features), -1)
                                 for t in range(k)]))  # fmt: skip
        return out

    def _windows(self, x: np.ndarray, pending: dict[int, list[np.ndarray]],
                 layer1: tuple[list[np.ndarray], np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
        """(N, n, J, 2) windows of normalised 2D and their layer-0 unit outputs ``pending`` (by the layer each feeds:
        (N, P, C)) → (N, J, 3), each window's target frame (centre, or last if causal): the windows' temporal
        attention (eq. 2–3) and layers 1.. . ``layer1``: (layer 1's per-frame products, (N, P) the frame of each
        window position in them) to share layer 1's convolutions between windows."""
        widths, causal = self.config.filter_widths, self.config.causal
        n_win, n, j, _ = x.shape
        centred = (x - x.mean(axis=2, keepdims=True)).reshape(n_win, n, 2 * j)  # W^(0): positive NCC (eq. 2)
        unit = centred / np.maximum(np.linalg.norm(centred, axis=-1, keepdims=True), 1e-8)
        weights, w = [], np.maximum(np.einsum("nfc,nc->nf", unit, unit[:, anchor(n, causal)]), 0.0)
        for theta in self.thetas:  # W^(l) = sigmoid(theta^T W^(l-1)) (eq. 3)
            w = 1.0 / (1.0 + np.exp(-(w @ theta)))
            weights.append(w)
        for layer in range(1, len(widths)):
            x_l = sum(pending.pop(layer)) * weights[layer - 1][:, :, None]
            shared = None if layer1 is None or layer != 1 else (layer1[0], weights[0], layer1[1])
            for u in range(num_units(widths, layer)):
                out = self._unit(self.layers[layer - 1], x_l, unit_dilation(widths, layer, u), shared)
                pending.setdefault(layer + u + 1, []).append(out)
        out = pending.pop(len(widths))[0][:, 0] @ self.shrink[0] + self.shrink[1]
        return out.reshape(n_win, j, 3)

    def _layer0_by_frame(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Layer 0's units once per frame of a sequence (T_in, J, 2), for every window to share.

        Layer 0 reads the raw 2D only (the temporal attention weights multiply its output, eq. 4), and its taps are
        never clamped at a window's edge (``tests/core/test_lifter_numpy.py`` checks filter-width stacks),
        so a unit's output at a window's position depends on the frames under its taps alone, whichever window
        holds them. Returns per unit: (features (T', C) indexed by their first tap's frame, the first tap of each
        window position (P,)).
        """
        n, k0, widths = self.receptive_field, self.config.filter_widths[0], self.config.filter_widths
        h = x.reshape(len(x), -1)
        units = []
        for u in range(num_units(widths, 0)):
            taps = unit_taps(n, k0, unit_dilation(widths, 0, u), 0, self.config.causal)  # (P, k0), the same rows
            rows = np.arange(len(h) - int(taps[0, -1] - taps[0, 0]))[:, None] + (taps[0] - taps[0, 0])[None, :]
            y = h[rows].reshape(len(rows), -1) @ self.expand[0]
            units.append((self.act(y * self.expand[1] + self.expand[2]), taps[:, 0]))
        return units

    def sequence(self, x: np.ndarray) -> np.ndarray:
        """(T_in, J, 2) → (T_in − n + 1, J, 3): the model contract for one sequence, in batches of targets."""
        x = np.asarray(x, np.float32)
        n, t_out = self.receptive_field, len(x) - self.receptive_field + 1
        out = np.empty((t_out, x.shape[1], 3), np.float32)
        layer0 = self._layer0_by_frame(x)
        products = self._layer1_products(layer0[0][0]) if len(self.layers) else None
        for start in range(0, t_out, _TARGETS_PER_BATCH):
            starts = np.arange(start, min(start + _TARGETS_PER_BATCH, t_out))
            pending = {u + 1: [f[starts[:, None] + first[None, :]]] for u, (f, first) in enumerate(layer0)}
            layer1 = None if products is None else (products, starts[:, None] + layer0[0][1][None, :])
            out[starts] = self._windows(x[starts[:, None] + np.arange(n)[None, :]], pending, layer1)
        return out


def numpy_model(config: dict[str, Any], state: dict[str, np.ndarray]) -> NumpyLifter | NumpyVideoPose:
    """One lifter's weights as its NumPy model, by architecture (raises LifterFileError for any other)."""
    if config.get("arch") == "attention":
        return NumpyLifter(config, state)
    if config.get("arch") == "videopose":
        return NumpyVideoPose(config, state)
    raise LifterFileError(f"NumPy inference covers the attention and VideoPose3D lifters, not {config.get('arch')!r}")


def load_numpy_lifter(path: str | Path) -> NumpyLifter | NumpyVideoPose | NumpyEnsemble:
    """The lifter (or ensemble of lifters) in ``path`` for NumPy inference (raises LifterFileError /
    LifterChecksumError)."""
    payload = read_lifter_file(path)
    if payload["format"] == ENSEMBLE_FORMAT:
        return NumpyEnsemble([numpy_model(dict(m["config"]), m["state_dict"]) for m in payload["members"]])
    return numpy_model(dict(payload["config"]), payload["state_dict"])

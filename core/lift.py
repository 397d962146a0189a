"""2D → 3D lifting of a whole clip with the temporal lifter: padding, chunked sequence inference, flip TTA.

The lifter maps a window of ``receptive_field`` normalised 2D poses to the root-relative camera-space 3D pose of one
frame (Liu et al., CVPR 2020, §3; VideoPose3D's dilated TCN, Pavllo et al., CVPR 2019, §3). Run on a whole
sequence it yields ``T_in - receptive_field + 1`` poses, so the input is padded by edge replication:

* offline model: ``pad = (R - 1) // 2`` frames on each side (frame t sees t-pad..t+pad);
* causal model: all ``2 * pad`` padding frames in the past (frame t sees t-2·pad..t; ``model.causal_shift == pad``),
  so no output ever depends on a later frame.

Flip test-time augmentation (VideoPose3D §4): the mirrored input (``core.skeleton.flip``) is lifted too and its
output mirrored back and averaged. Mirroring is a *spatial* operation, so it keeps the causal model causal; we use
it for both models in capture (it halves the variance of per-frame errors for 2× the lifter time, which is a few
percent of the pipeline). Live mode (one frame at a time, latency bound) may turn it off.

Upright input (``core.upright``): the 2D is turned about the image centre so that the body's image axis points up,
and the 3D turned back about the optical axis — an exact symmetry of the projection that the lifter, trained on
mostly upright bodies, lifts better.

Long clips are lifted in chunks of output frames whose inputs overlap by ``R - 1`` frames, which gives exactly the
same result as one pass while keeping memory bounded and cancellation responsive.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .camera import normalize_screen_coordinates
from .errors import Cancelled, WeightsError
from .gaps import resample_times
from .lifter_ensemble import NumpyEnsemble
from .lifter_geometry import edge_padding
from .lifter_numpy import LifterChecksumError, LifterFileError, NumpyLifter, load_numpy_lifter
from .upright import body_roll, turn_2d, turn_3d


class ShortClipWarning(UserWarning):
    """The clip has fewer frames than the lifter's receptive field; it was padded, the 3D is less reliable."""


def load_lifter(path: str | Path, device: str = "cpu", numpy_ok: bool = False) -> Any:
    """Load a lifter checkpoint, turning every failure into a ``WeightsError`` the user can act on.

    ``numpy_ok``: on the CPU an attention or VideoPose3D lifter (or an ensemble of them) is loaded for NumPy inference
    (``core.lifter_numpy``: no torch import; capture uses it); otherwise, and for CUDA, the torch model."""
    p = Path(path)
    if not p.is_file():
        raise WeightsError(
            f"Lifter weights not found: {p}. Install the extension's weights (weights/lifter_offline.pt, "
            "weights/lifter_causal.pt) or choose a weights file in the options.",
            kind="weights_missing",
        )
    if numpy_ok and device == "cpu":
        try:
            return load_numpy_lifter(p)
        except LifterChecksumError as exc:
            raise WeightsError(f"Lifter weights are corrupted (checksum mismatch): {p}. {exc}",
                               kind="weights_corrupt") from exc  # fmt: skip
        except LifterFileError:
            pass  # an architecture NumPy does not run, or a file only torch reads: torch says what is wrong, below
    from .models import load_model
    from .models.checkpoint import ChecksumError

    try:
        return load_model(p, device=device)
    except ChecksumError as exc:
        message = f"Lifter weights are corrupted (checksum mismatch): {p}. {exc}"
        raise WeightsError(message, kind="weights_corrupt") from exc
    except Exception as exc:  # truncated zip, not a checkpoint, wrong format: same remedy for the user
        raise WeightsError(
            f"Cannot load lifter weights {p}: {type(exc).__name__}: {exc}. Re-install or re-download the weights.",
            kind="weights_corrupt",
        ) from exc


def lift_sequence(
    model: Any,
    xy_px: np.ndarray,
    width: int,
    height: int,
    *,
    flip_tta: bool = True,
    upright: bool = True,
    chunk: int = 128,
    should_stop: Callable[[], bool] | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Lift a whole 2D track to root-relative camera-space 3D.

    Args:
        model: lifter (``forward: (B, T, J, 2) → (B, T - R + 1, J, 3)``), in eval mode.
        xy_px: (T, J, 2) pixel coordinates, gaps already filled.
        width, height: image size in pixels (for normalize_screen_coordinates).
        flip_tta: average with the mirrored input's mirrored output.
        upright: lift the 2D turned so that the body's image axis points up, and turn the 3D back about the optical
            axis (``core.upright``: an exact symmetry of the projection that the lifter lifts better).
        chunk: output frames per forward pass. ``on_chunk(done, total)`` reports progress in frames;
            ``should_stop()`` is polled between chunks and raises ``Cancelled``.
    Returns:
        (T, J, 3) float32, metres, camera axes (x right, y down, z forward), root joint exactly 0.
    Warns:
        ShortClipWarning when T < receptive field (an ensemble's smallest member's).
    """
    T = len(xy_px)
    if T == 0:
        raise ValueError("lift_sequence: empty track")
    R = int(model.receptive_field)
    # An ensemble (core.lifter_ensemble) warns only below its smallest member's window: that member then sees its
    # whole context, and the larger members' padded context costs them little on clips of a few seconds.
    shortest = min(int(m.receptive_field) for m in getattr(model, "members", [model]))
    if T < shortest:
        warnings.warn(
            f"The clip has {T} frames, fewer than the lifter's receptive field ({shortest} frames): it was padded by "
            "repeating its first/last frame, so the 3D motion is less reliable.",
            ShortClipWarning,
            stacklevel=2,
        )
    norm = normalize_screen_coordinates(np.asarray(xy_px, dtype=np.float32), width, height)
    roll = body_roll(norm) if upright else 0.0
    if roll:
        norm = turn_2d(norm, -roll)  # the image centre is the origin of the normalised coordinates
    left, right = edge_padding(R, getattr(model, "causal_shift", 0))
    inputs = np.concatenate([np.repeat(norm[:1], left, axis=0), norm, np.repeat(norm[-1:], right, axis=0)])
    run, context = _runner(model, flip_tta)
    out = np.empty((T, norm.shape[1], 3), dtype=np.float32)
    with context:
        for start in range(0, T, chunk):
            if should_stop is not None and should_stop():
                raise Cancelled("Capture cancelled during 3D lifting.")
            stop = min(start + chunk, T)
            out[start:stop] = run(inputs[start : stop + R - 1])  # (n + R - 1, J, 2) → (n, J, 3)
            if on_chunk is not None:
                on_chunk(stop, T)
    return turn_3d(out, roll) if roll else out  # root-relative by definition: both predicts zero the root


def _runner(model: Any, flip_tta: bool) -> tuple[Callable[[np.ndarray], np.ndarray], Any]:
    """(padded window → its poses, the context to run in) for a NumPy lifter or a torch model
    (``core.models.predict``: root at zero, flip TTA)."""
    if isinstance(model, NumpyLifter | NumpyEnsemble):
        return (lambda window: model.predict(window, tta=flip_tta)), contextlib.nullcontext()
    import torch

    from .models import predict

    device = next(model.parameters()).device

    def run(window: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32))[None].to(device)
        return predict(model, x, tta=flip_tta)[0].float().cpu().numpy()

    return run, torch.inference_mode()


def lift_timed(
    model: Any, xy_px: np.ndarray, times_s: np.ndarray, width: int, height: int, **kwargs: Any
) -> np.ndarray:
    """:func:`lift_sequence` at the rate the model was trained at (``model.config.fps``, 50 fps for ours).

    A temporal lifter learns motion per frame: a 5 fps clip fed unchanged looks 10× faster than anything it saw, a
    60 fps one 20 % slower. The 2D track, sampled at its frame times ``times_s`` (T,) (variable frame rates welcome),
    is resampled linearly onto a uniform grid at the model's rate, lifted, and the 3D interpolated back to the frame
    times. Clips already at the model's rate (within 2 %, uniform) are lifted unchanged. Keyword arguments go to
    :func:`lift_sequence`; ``on_chunk(done, total)`` counts the clip's frames (a 60 fps clip's progress would otherwise
    end at 84 % of its frame count).

    Returns:
        (T, J, 3) float32, one pose per input frame, as :func:`lift_sequence`.
    """
    t = np.asarray(times_s, dtype=np.float64)
    if len(t) != len(xy_px):
        raise ValueError(f"lift_timed: {len(t)} frame times for {len(xy_px)} frames")
    config = getattr(model, "config", None)
    model_fps = float(getattr(config, "fps", 50.0))
    if len(t) < 2:
        return lift_sequence(model, xy_px, width, height, **kwargs)
    dt = np.diff(t)
    if np.any(dt <= 0):
        raise ValueError("lift_timed: frame times must increase")
    if abs(dt.mean() * model_fps - 1.0) < 0.02 and np.all(np.abs(dt / dt.mean() - 1.0) < 0.05):
        return lift_sequence(model, xy_px, width, height, **kwargs)
    rel = t - t[0]
    report = kwargs.get("on_chunk")
    grid = np.arange(int(np.floor(rel[-1] * model_fps + 1e-9)) + 1) / model_fps
    if rel[-1] - grid[-1] > 1e-9:  # end exactly on the last frame (one shorter step) rather than hold past it
        grid = np.append(grid, rel[-1])
    if report is not None:  # grid frames → the clip's frames
        kwargs["on_chunk"] = lambda done, total: report(min(len(t), round(done * len(t) / total)), len(t))
    lifted = lift_sequence(model, resample_times(np.asarray(xy_px, np.float32), rel, grid), width, height, **kwargs)
    return resample_times(lifted, grid, rel)

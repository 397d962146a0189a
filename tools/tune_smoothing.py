"""Tune the default smoothing strength on the real clips by cross-validation of their MediaPipe 2D tracks.

    .venv/bin/python tools/tune_smoothing.py

For each shared clip: detect the 2D track once (MediaPipe, as in capture), express it in metres (the median
head-to-ankle extent ≙ 1.75 m × 0.897, see core.postprocess), then for every strength smooth the *even* frames only
(with their real timestamps) and predict each odd frame as the mean of its smoothed neighbours. The prediction error
against the held-out raw odd frames is noise + smoothing bias; it is smallest at the strength that best separates the
clip's motion from its detector noise. Prints the error per clip and strength and the strength minimising the mean
of the per-clip errors (each normalised by its value at strength 0) and the default rule's choice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.detect import MediaPipePoseDetector, clean_track, detect_track  # noqa: E402
from core.postprocess import ANKLE_FRACTION, EYE_FRACTION  # noqa: E402
from core.smoothing import smooth  # noqa: E402
from core.video import iter_frames  # noqa: E402

CLIPS = ["pose2sim_balance_cam04.mp4", "pose2sim_balance_cam03.mp4", "intel_worker_walking_480x270.mp4",
         "pexels_dancing_rooftop_640x360.mp4"]  # fmt: skip
STRENGTHS = np.round(np.arange(0.0, 1.01, 0.1), 2)
TOLERANCE = 0.10


def track_in_metres(path: Path) -> tuple[np.ndarray, np.ndarray]:
    detector = MediaPipePoseDetector()
    try:
        track = clean_track(detect_track(iter_frames(path), detector))
    finally:
        detector.close()
    keep = track.detected  # held-out frames must be real detections, not interpolations
    xy, times = track.xy[keep].astype(np.float64), track.times[keep]
    extent = np.median(np.abs(xy[:, 10, 1] - (xy[:, 3, 1] + xy[:, 6, 1]) / 2))
    return xy * (1.75 * (EYE_FRACTION - ANKLE_FRACTION) / extent), times


def cv_error(xy: np.ndarray, times: np.ndarray, strength: float) -> float:
    even, odd = xy[0::2], xy[1::2]
    smoothed = smooth(even, times[0::2], strength, causal=False)
    n = min(len(odd), len(smoothed) - 1)
    predicted = 0.5 * (smoothed[:n] + smoothed[1 : n + 1])
    return float(np.sqrt(((predicted - odd[:n]) ** 2).sum(-1).mean()))


def main() -> None:
    rows = []
    for name in CLIPS:
        path = REPO.parent / "shared" / "videos" / name
        if not path.is_file():
            continue
        xy, times = track_in_metres(path)
        errors = np.array([cv_error(xy, times, s) for s in STRENGTHS])
        rows.append(errors / errors[0])
        print(f"{name:40s}", " ".join(f"{e * 1000:5.1f}" for e in errors), "mm; best", STRENGTHS[errors.argmin()])
    mean = np.mean(rows, axis=0)
    print("strengths", " ".join(f"{s:5.1f}" for s in STRENGTHS))
    print("relative ", " ".join(f"{e:5.3f}" for e in mean))
    # MediaPipe's own landmark smoothing leaves little frame-to-frame noise in 2D, so any extra smoothing costs some
    # accuracy; the default is the strongest setting that costs at most TOLERANCE of cross-validated error.
    print("argmin of the mean relative error:", STRENGTHS[mean.argmin()])
    print(f"default (strongest within +{TOLERANCE:.0%}):", STRENGTHS[mean <= mean.min() * (1 + TOLERANCE)].max())


if __name__ == "__main__":
    main()

"""core.presence: phantoms, empty stretches and a change of person, on hand-made 2D tracks."""

from __future__ import annotations

import numpy as np
from capture_helpers import stick_figure

from core.presence import MAX_GAP_S, assess_presence


def _track(T: int = 100, fps: float = 25.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    xy = stick_figure(T).astype(np.float64)  # a person ~ 300 px tall in a 480-px-high image, walking slowly
    return xy, np.full((T, 17), 0.9), np.ones(T, bool), np.arange(T) / fps


def test_a_person_throughout_gives_no_warning() -> None:
    xy, conf, det, t = _track()
    p = assess_presence(xy, conf, det, t, 480)
    assert p.real.all() and p.present.all() and p.warnings == []


def test_faint_or_tiny_detections_are_phantoms() -> None:
    xy, conf, det, t = _track()
    conf[:8] = 0.2  # the empty room's skeleton on a table
    xy[90:] = xy[90:] * 0.02 + 100  # a 6-px "person"
    p = assess_presence(xy, conf, det, t, 480)
    assert not p.real[:8].any() and not p.real[90:].any() and p.real[8:90].all()
    assert any("too faint or too small" in w for w in p.warnings)
    # 8 frames at 25 fps = 0.32 s at the start: short, held; 10 frames at the end = 0.4 s: short too
    assert p.present.all()


def test_a_long_gap_is_absent_and_named_a_short_one_is_filled() -> None:
    xy, conf, det, t = _track()
    det[20:24] = False  # 5 frames between detections 0.2 s apart: a miss
    det[40:70] = False  # 1.24 s: nobody
    xy[~det] = np.nan
    p = assess_presence(xy, conf, det, t, 480)
    assert p.present[20:24].all() and not p.present[40:70].any() and p.present[70:].all()
    assert p.warnings == ["no person in frames 40–69 (1.6–2.8 s): nothing is baked there"]
    assert 30 / 25.0 > MAX_GAP_S > 5 / 25.0


def test_a_jump_faster_than_a_body_warns_of_a_change_of_person() -> None:
    xy, conf, det, t = _track()
    xy[60:, :, 0] += 400.0  # the tracker jumps to someone 400 px away between frames 59 and 60
    p = assess_presence(xy, conf, det, t, 480)
    assert p.present.all() and len(p.warnings) == 1 and "changed at frame 60 (2.4 s)" in p.warnings[0]
    # the same displacement spread over an empty stretch is someone walking back in: no jump warning
    det[50:60] = False
    xy[50:60] = np.nan
    p = assess_presence(xy, conf, det, t, 480)
    assert not any("changed" in w for w in p.warnings)

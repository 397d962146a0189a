"""core/options.py: one from_dict/to_dict for capture and live options (unknown keys and bad values are errors)."""

from __future__ import annotations

import pytest

from core.errors import OptionsError
from core.options import MODELS, CaptureOptions, LiveOptions


@pytest.mark.parametrize("cls", [CaptureOptions, LiveOptions])
def test_round_trip_and_json_ints(cls) -> None:  # noqa: ANN001
    opts = cls.from_dict({"height": 2, "smoothing": 0})  # JSON ints for float fields
    assert isinstance(opts.height, float) and opts.height == 2.0 and opts.smoothing == 0.0
    assert cls.from_dict(opts.to_dict()) == opts
    assert cls.from_dict(None) == cls() and cls.field_default("smoothing") == cls().smoothing


@pytest.mark.parametrize(("cls", "what"), [(CaptureOptions, "capture option"), (LiveOptions, "live option")])
@pytest.mark.parametrize(
    ("options", "match"),
    [({"speed": 2}, "unknown"), ({"smoothing": 1.5}, "smoothing"), ({"device": "tpu"}, "device"),
     ({"flip_tta": 1}, "flip_tta"), ({"weights": 3}, "weights")],
)
def test_bad_options_are_errors(cls, what: str, options: dict, match: str) -> None:  # noqa: ANN001
    with pytest.raises(OptionsError, match=match) as info:
        cls.from_dict(options)
    assert what in str(info.value)


@pytest.mark.parametrize("share", [-0.1, 1.5, "half", True])
def test_mediapipe_3d_is_a_share(share: object) -> None:
    assert CaptureOptions().mediapipe_3d == 0.5 and CaptureOptions.from_dict({"mediapipe_3d": 0}).mediapipe_3d == 0.0
    with pytest.raises(OptionsError, match="mediapipe_3d"):
        CaptureOptions.from_dict({"mediapipe_3d": share})


def test_model_is_a_choice() -> None:
    assert CaptureOptions().model in MODELS
    assert CaptureOptions.from_dict({"model": "causal"}).model == "causal"
    with pytest.raises(OptionsError, match="model"):
        CaptureOptions.from_dict({"model": "centred"})
    with pytest.raises(OptionsError, match="unknown"):
        CaptureOptions.from_dict({"causal": True})  # the old boolean is gone
    with pytest.raises(OptionsError, match="object"):
        CaptureOptions.from_dict([("height", 1.8)])  # type: ignore[arg-type]

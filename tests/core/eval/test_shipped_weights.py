"""The shipped weights still have the accuracy their model cards state (a few seconds on the held-out CMU subject).

Each card's validation figures are recomputed with the card's own recorded command (``validation.command``: data,
subjects, seed, flip TTA), so retrained weights only need a new card; nothing here hard-codes a figure.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path

import pytest
import torch
from repo import REPO_ROOT

from core.eval import cli as evaluate
from core.models import load_model

REPO = REPO_ROOT
CARDS = sorted((REPO / "weights").glob("lifter_*.json"))  # contacts.json: tests/core/world/test_contact_model.py
# e.g. p_mpjpe_noisy_mm, mpjpe_wild-heldout_mm
FIGURE = re.compile(r"^(?P<metric>[a-z_]+?)_(?P<condition>(?:rig-|wild-)?(?:clean|noisy|heldout))_mm$")
# The cards round to 0.01 mm; BLAS and thread-count differences move the last digit at most.
TOLERANCE_MM = 0.05


def test_every_shipped_checkpoint_has_a_card() -> None:
    assert CARDS and sorted(p.stem for p in CARDS) == sorted(p.stem for p in (REPO / "weights").glob("*.pt"))


@pytest.mark.parametrize("card_path", CARDS, ids=[p.stem for p in CARDS])
def test_shipped_weights_match_their_model_card(card_path: Path, shared_dir: Path) -> None:
    card = json.loads(card_path.read_text())
    weights = card_path.with_name(card["file"])
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == card["file_sha256"], "weights changed, card did not"
    words = shlex.split(card["validation"]["command"])
    assert words[:3] == ["python", "-m", "core.eval"], words
    args = evaluate.build_parser().parse_args(words[3:])
    args.cmu_root = shared_dir / "data" / "cmu"  # the card's command ran from the checkout with the default root
    assert args.data == "cmu" and args.tta == ("on" if card["validation"]["flip_tta"] else "off")
    assert args.upright == ("on" if card["validation"].get("upright") else "off"), "card and command disagree"
    expected: dict[str, dict[str, float]] = {}
    for key, value in card["validation"].items():
        if m := FIGURE.match(key):
            expected.setdefault(m["condition"], {})[m["metric"]] = value
    assert {"clean", "noisy"} <= set(expected) or {"rig-clean", "wild-heldout"} <= set(expected), card["validation"]
    model = load_model(weights)
    # the card's figures were measured on the 2D as_lifted gives this model (swaps undone for offline models)
    assert card["validation"].get("lr_swaps_undone") == (int(model.causal_shift) == 0), "card predates as_lifted"
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, args.threads))
    try:
        for condition, figures in expected.items():
            sequences = evaluate.as_lifted(evaluate.load_sequences("cmu", condition, args, model.config.joints), model)
            upright = args.upright == "on"
            got = evaluate.evaluate_sequences(model, sequences, tta=args.tta == "on", upright=upright)["mean"]
            for metric, value in figures.items():
                assert got[metric] == pytest.approx(value, abs=TOLERANCE_MM), (condition, metric, got[metric], value)
    finally:
        torch.set_num_threads(before)

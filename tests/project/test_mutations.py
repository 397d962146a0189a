"""tools/mutations.py stays usable: every deliberate bug's anchor text still occurs exactly once in its file.

(Running the mutations themselves takes about half a minute: ``.venv/bin/python -m tools.mutations``.)
"""

from __future__ import annotations

import pytest

from tools.mutations import MUTATIONS, REPO, Mutation


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_mutation_anchor_is_found_once(mutation: Mutation) -> None:
    path = REPO / mutation.file
    assert path.is_file(), f"{mutation.file} moved: update tools/mutations.py"
    assert path.read_text(encoding="utf-8").count(mutation.old) == 1, f"update the anchor of {mutation.name}"
    for arg in mutation.tests:
        assert not arg.endswith(".py") or (REPO / arg).is_file(), f"{arg} moved: update tools/mutations.py"

"""Threaded inference: runs of targets on worker threads give the single-thread result; thread counts restored."""

from __future__ import annotations

import pytest
import torch

from core.models import LifterConfig, build_model
from core.models.threads import run_parallel, single_intraop_thread


@pytest.fixture(autouse=True)
def _restore_threads():  # noqa: ANN202 - pytest fixture
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_single_intraop_thread_restores_the_count() -> None:
    torch.set_num_threads(2)
    with single_intraop_thread() as before:
        assert before == 2 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), single_intraop_thread():
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_run_parallel_runs_every_job_without_grad_and_reraises() -> None:
    done: list[int] = []

    def job(i: int) -> None:
        assert not torch.is_grad_enabled()
        done.append(i)

    run_parallel([lambda i=i: job(i) for i in range(7)], workers=2)
    assert sorted(done) == list(range(7))

    def fail() -> None:
        raise ValueError("job failed")

    with pytest.raises(ValueError, match="job failed"):
        run_parallel([fail, fail], workers=2)


def test_threaded_sequence_equals_single_thread() -> None:
    torch.manual_seed(0)
    model = build_model(LifterConfig(filter_widths=(3, 3, 3), channels=16, groups=4, reduction=8)).eval()
    x = torch.randn(2, 300, 17, 2)
    with torch.no_grad():
        torch.set_num_threads(1)
        single = model(x)
        torch.set_num_threads(2)
        model.folded().chunk_floats = 1 << 14  # many short runs, spread over two threads
        threaded = model(x)
    assert (single - threaded).abs().max() < 1e-5

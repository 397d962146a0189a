"""Per-frame feature rows and zero-copy strided views of them, for whole sequences and for ring buffers.

The folded inference reads, for a run of consecutive targets t0..t0+N-1, the rows of frames
``t + start + p * step`` (p = 0..count-1). With rows stored frame after frame that is a strided *view*
(N, count, ...) of the storage — no gather, no copy. A live stream keeps its last ``n`` frames in a *mirrored* ring
buffer (every row written twice, at ``f mod n`` and ``f mod n + n``), so any n consecutive frames are contiguous too.
"""

from __future__ import annotations

import torch


class FrameRows:
    """Rows ``data[f - first]`` for frames f (``data``: (R, ...), any trailing shape)."""

    def __init__(self, data: torch.Tensor, first: int = 0) -> None:
        self.data = data
        self.first = first

    def strided(self, t0: int, num: int, start: int, step: int, count: int, slot: int | None = None) -> torch.Tensor:
        """View (num, count, *trailing) with ``[t, p] = row(t0 + t + start + p * step)``.

        ``slot`` picks one index of the first trailing dimension (the view then drops that dimension).
        """
        base = self.data if slot is None else self.data[:, slot]
        row0 = t0 + start - self.first
        last = row0 + num - 1 + (count - 1) * step
        if row0 < 0 or last >= base.shape[0]:
            raise IndexError(
                f"frames {row0 + self.first}..{last + self.first} are outside the stored "
                f"{self.first}..{self.first + base.shape[0] - 1}"
            )
        sr = base.stride(0)
        return base.as_strided(
            (num, count, *base.shape[1:]), (sr, step * sr, *base.stride()[1:]), base.storage_offset() + row0 * sr
        )


class MirroredRing:
    """Last ``period`` frames of per-frame rows, written twice so that every window of them is contiguous."""

    def __init__(self, period: int, shape: tuple[int, ...], device: torch.device | str = "cpu") -> None:
        self.period = period
        self.data = torch.zeros(2 * period, *shape, device=device)

    def fill(self, row: torch.Tensor) -> None:
        """Every stored frame := ``row`` (a stream's replicated first frame)."""
        self.data[:] = row

    def write(self, frame: int, row: torch.Tensor) -> None:
        """Stores frame ``frame``'s row (constant work: two row copies)."""
        r = frame % self.period
        self.data[r] = row
        self.data[r + self.period] = row

    def window(self, start_frame: int) -> FrameRows:
        """Rows addressable for frames ``start_frame .. start_frame + period - 1`` (the window of one target)."""
        return FrameRows(self.data, start_frame - start_frame % self.period)

    def at(self, frame: int) -> torch.Tensor:
        """The row of ``frame`` (one of the last ``period`` frames)."""
        return self.data[frame % self.period]

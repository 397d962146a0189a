"""core.helper_pool: light enough to start the 2D helpers first thing, and the CLI does start them first."""

from __future__ import annotations

import os
import subprocess
import sys

from repo import REPO_ROOT


def _run(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_the_pool_module_imports_nothing_heavy() -> None:
    # the helpers' start-up overlaps the caller's imports only if starting them needs none of these
    loaded = _run("import sys; import core.helper_pool; "
                  "print(sorted(m for m in ('numpy', 'cv2', 'mediapipe', 'torch') if m in sys.modules))")  # fmt: skip
    assert loaded == "[]"


def test_the_cli_starts_the_helpers_before_it_imports_the_pipeline(tmp_path) -> None:  # noqa: ANN001
    code = (
        "import os, sys\n"
        "from core import cli, helper_pool\n"
        "seen = []\n"
        "helper_pool.prewarm = lambda workers=None: seen.append(('core.capture' in sys.modules, workers, "
        "os.environ.get('OPENBLAS_NUM_THREADS')))\n"
        "assert 'numpy' not in sys.modules  # the CLI's one-BLAS-thread setting must come before NumPy loads\n"
        f"code = cli.main(['capture', {str(tmp_path / 'missing.mp4')!r}, '-o', {str(tmp_path / 'out.npz')!r}])\n"
        "print(seen, code)\n"
    )
    # called once, before core.capture and with one BLAS thread set for NumPy; the missing clip is then an error
    assert _run(code) == "[(False, None, '1')] 1"
    assert list(tmp_path.iterdir()) == []

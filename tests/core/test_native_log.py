"""core.native_log: MediaPipe's known-harmless C++ lines are left out of the CLI's console, nothing else is; FFmpeg's
and OpenCV's own log lines are off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repo import REPO_ROOT

from core.native_log import QUIET_ENV, harmless

# as MediaPipe 0.10.21 printed them in a capture on this machine
MEDIAPIPE_LINES = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    b"W0000 00:00:1796527687.398804    2089 inference_feedback_manager.cc:114] Feedback manager requires a model "
    b"with a single signature inference. Disabling support for feedback tensors.\n",
    b"W0000 00:00:1796527687.615261    2092 landmark_projection_calculator.cc:186] Using NORM_RECT without "
    b"IMAGE_DIMENSIONS is only supported for the square ROI. Provide IMAGE_DIMENSIONS or use PROJECTION_MATRIX.\n",
)


def test_the_known_lines_are_harmless_and_others_are_not() -> None:
    assert all(harmless(line) for line in MEDIAPIPE_LINES)
    assert not harmless(b"E0000 00:00:1796527687.398804    2089 calculator_graph.cc:887] INTERNAL: graph failed\n")
    assert not harmless(b"W0000 00:00:1796527687.398804    2089 gl_context.cc:344] GPU suport is not available\n")
    assert not harmless(b"Traceback (most recent call last):\n")
    assert not harmless(b"")


# A process that writes to descriptor 2 as C++ does (os.write), to sys.stderr as Python does, and starts a child
# that writes a harmless line and another to its stderr, all inside the filter; then one line after it.
_CHILD = "import os; os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\nchild\\n')"
_SCRIPT = """
import os, subprocess, sys
from core.native_log import filtered_native_stderr
with filtered_native_stderr():
    for line in NOISE:
        os.write(2, line)
    os.write(2, b"E0000 native error" + bytes([10]))
    print("python line", file=sys.stderr)
    subprocess.run([sys.executable, "-c", CHILD], check=True)
print("after", file=sys.stderr)
"""


def test_the_filter_drops_only_the_known_lines_of_this_process_and_its_children() -> None:
    code = f"NOISE = {MEDIAPIPE_LINES!r}\nCHILD = {_CHILD!r}\n" + _SCRIPT
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, timeout=60, check=True)
    lines = done.stderr.decode().splitlines()
    # the copier thread and Python's own writes interleave freely, but all is out before the block ends
    assert sorted(lines[:-1]) == ["E0000 native error", "child", "python line"] and lines[-1] == "after"


def _probe_output(path: Path, quiet: bool) -> str:
    """What a fresh process that probes ``path`` prints besides our error message, stdout and stderr together
    (FFmpeg's lines reach stdout once OpenCV relays them), with or without ``quiet_libraries`` first."""
    code = "\n".join((
        "import sys", "from core.native_log import quiet_libraries", "if sys.argv[2] == '1':", "    quiet_libraries()",
        "from core.errors import VideoError", "from core.video import probe", "try:", "    probe(sys.argv[1])",
        "except VideoError as e:", "    print(e)",
    ))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}
    done = subprocess.run([sys.executable, "-c", code, str(path), "1" if quiet else "0"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    message = f"Cannot open {path.name} as a video"
    assert message in done.stdout
    return "".join(line for line in (done.stdout + done.stderr).splitlines(True) if message not in line)


def test_ffmpeg_and_opencv_say_nothing_before_our_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    assert _probe_output(path, quiet=True) == ""
    loud = _probe_output(path, quiet=False)  # what the quiet settings are for
    assert "moov atom not found" in loud and "WARN" in loud


def test_without_a_stderr_the_block_still_runs() -> None:
    code = "import os, sys\nos.close(2)\nsys.stderr = None\nfrom core.native_log import filtered_native_stderr\n" \
           "with filtered_native_stderr():\n    print('ran')"  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "ran\n"

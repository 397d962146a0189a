"""The worker's Python environment: which Python runs the worker, and how "Install dependencies" builds one.

bpy-free so the command lines can be tested without Blender. The add-on's preferences call into this module; the
venv lives in the extension's user folder (``bpy.utils.extension_path_user(..., path="runtime")``), never inside the
add-on folder (extensions are replaced wholesale on update).

Which Python runs the worker (first match wins):
1. the ``VIDEO_MOCAP_PYTHON`` environment variable (development, tests, CI: the repository's .venv);
2. the Python the user set in the preferences (an existing environment that has the packages);
3. the runtime venv built by "Install dependencies".
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ENV_PYTHON = "VIDEO_MOCAP_PYTHON"
DEVICES = ("AUTO", "CPU", "CUDA")

TORCH_PIN = "torch==2.13.0"
# PyTorch's own wheel indexes: the CPU build is ~200 MB instead of ~2.5 GB with CUDA libraries.
TORCH_INDEX = {
    "CPU": "https://download.pytorch.org/whl/cpu",
    "CUDA": "https://download.pytorch.org/whl/cu128",
}
# The same pins as the development requirements.txt (a test keeps them in step). numpy<2: mediapipe 0.10.21 and
# its compiled protobuf need the 1.x ABI.
WORKER_REQUIREMENTS: tuple[str, ...] = (
    "numpy==1.26.4",
    "opencv-python-headless==4.10.0.84",
    "absl-py==2.1.0",
    "attrs>=23.1",
    "flatbuffers==24.3.25",
    "protobuf==4.25.5",
)
# mediapipe's declared dependencies pull ~1 GB (jax, matplotlib, ...) that mp.solutions.pose never imports: install
# it without them; its real import-time needs are in WORKER_REQUIREMENTS.
NODEPS_REQUIREMENTS: tuple[str, ...] = ("mediapipe==0.10.21",)
_PIP = ("-m", "pip", "install", "--no-input", "--disable-pip-version-check")
VERIFY_CODE = (
    "import json, cv2, mediapipe, numpy, torch; "
    "print(json.dumps({'torch': torch.__version__, 'numpy': numpy.__version__, 'opencv': cv2.__version__, "
    "'mediapipe': mediapipe.__version__, 'cuda': torch.cuda.is_available()}))"
)


def venv_python(venv_dir: Path) -> Path:
    """The interpreter inside a venv on this platform."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


@dataclass(frozen=True)
class PythonChoice:
    """The Python that will run the worker and why (shown in the preferences). path None: none available."""

    path: Path | None
    source: str  # "environment" | "preferences" | "runtime" | "none"


def resolve_worker_python(user_python: str, runtime_dir: Path | None, environ: Mapping[str, str]) -> PythonChoice:
    """Pick the worker's Python (see the module docstring for the order). Raises ValueError for a set but missing
    path, so a typo is reported instead of silently falling through to another Python."""
    from_env = environ.get(ENV_PYTHON, "").strip()
    if from_env:
        if not Path(from_env).is_file():
            raise ValueError(f"{ENV_PYTHON} points to {from_env}, which is not a file")
        return PythonChoice(Path(from_env), "environment")
    if user_python.strip():
        path = Path(user_python.strip()).expanduser()
        if not path.is_file():
            raise ValueError(f"the Python set in the preferences does not exist: {path}")
        return PythonChoice(path, "preferences")
    if runtime_dir is not None and venv_python(runtime_dir / "venv").is_file():
        return PythonChoice(venv_python(runtime_dir / "venv"), "runtime")
    return PythonChoice(None, "none")


def install_commands(base_python: Path, runtime_dir: Path, device: str) -> list[list[str]]:
    """Command lines that build the runtime venv from `base_python` (Blender's own Python) and install the pinned
    worker packages into it, in order. device: AUTO/CPU/CUDA (AUTO takes the CUDA build only on Linux/Windows with an
    NVIDIA driver visible, see default_torch_build)."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    build = default_torch_build() if device == "AUTO" else device
    py = str(venv_python(runtime_dir / "venv"))
    return [
        [str(base_python), "-m", "venv", str(runtime_dir / "venv")],
        [py, *_PIP, TORCH_PIN, "--index-url", TORCH_INDEX[build]],
        [py, *_PIP, *WORKER_REQUIREMENTS],
        [py, *_PIP, "--no-deps", *NODEPS_REQUIREMENTS],
        [py, "-c", VERIFY_CODE],
    ]


def default_torch_build(platform: str = sys.platform, environ: Mapping[str, str] | None = None) -> str:
    """"CUDA" when an NVIDIA driver is visible on Linux/Windows, else "CPU" (macOS has no CUDA build)."""
    if platform == "darwin":
        return "CPU"
    environ = os.environ if environ is None else environ
    if platform.startswith("linux"):
        return "CUDA" if Path("/proc/driver/nvidia/version").exists() else "CPU"
    system_root = environ.get("SystemRoot", r"C:\Windows")
    return "CUDA" if Path(system_root, "System32", "nvidia-smi.exe").exists() else "CPU"


@dataclass
class InstallJob:
    """Runs command lines one after another in subprocesses, all output appended to `log_path`; never blocks.

    Call poll() from a timer: it starts the next command when the previous one succeeded. state: "pending",
    "running", "done", "failed" or "cancelled". Used by the Install dependencies button; testable with any commands.
    """

    commands: Sequence[Sequence[str]]
    log_path: Path
    state: str = "pending"
    step: int = 0
    error: str = ""
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _log: object = field(default=None, repr=False)

    def poll(self) -> str:
        if self.state in ("done", "failed", "cancelled"):
            return self.state
        if self._proc is not None:
            code = self._proc.poll()
            if code is None:
                return self.state
            if code != 0:
                self._finish("failed", f"step {self.step + 1}/{len(self.commands)} failed with exit code {code}; "
                             f"see the log {self.log_path}")
                return self.state
            self.step += 1
            self._proc = None
        if self.step >= len(self.commands):
            self._finish("done")
            return self.state
        self._start(self.commands[self.step])
        return self.state

    def _start(self, command: Sequence[str]) -> None:
        if self._log is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across polls
        self._log.write(f"$ {subprocess.list2cmdline(list(command))}\n")
        self._log.flush()
        try:
            self._proc = subprocess.Popen(list(command), stdout=self._log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
        except OSError as exc:
            self._finish("failed", f"cannot run {command[0]}: {exc}")
            return
        self.state = "running"

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._finish("cancelled", "cancelled by the user")

    def _finish(self, state: str, error: str = "") -> None:
        self.state, self.error = state, error
        if self._log is not None:
            self._log.write(f"[{state}] {error}\n")
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 8) -> list[str]:
        """The last lines of the log (for the preferences panel)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

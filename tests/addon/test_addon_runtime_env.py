"""The worker's runtime environment (core/worker/runtime_env.py): command lines, Python resolution, the install job."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from repo import REPO_ROOT

from core.worker.runtime_env import (
    ENV_PYTHON,
    NODEPS_REQUIREMENTS,
    TORCH_INDEX,
    TORCH_PIN,
    WORKER_REQUIREMENTS,
    InstallJob,
    default_torch_build,
    install_commands,
    resolve_worker_python,
    venv_python,
)

REPO = REPO_ROOT


def _pins(path: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def test_worker_pins_match_the_development_requirements() -> None:
    dev = _pins(REPO / "requirements.txt")
    assert TORCH_PIN in dev
    assert set(WORKER_REQUIREMENTS) <= dev, set(WORKER_REQUIREMENTS) - dev
    assert set(NODEPS_REQUIREMENTS) <= _pins(REPO / "requirements-nodeps.txt")
    assert any(r.startswith("numpy==1.") for r in WORKER_REQUIREMENTS)


def test_install_commands_build_a_venv_then_pin_everything(tmp_path: Path) -> None:
    base = Path("/opt/blender/python/bin/python3.11")
    commands = install_commands(base, tmp_path, "CPU")
    venv_py = str(venv_python(tmp_path / "venv"))
    assert commands[0] == [str(base), "-m", "venv", str(tmp_path / "venv")]
    assert all(c[0] == venv_py for c in commands[1:])
    torch_cmd = commands[1]
    assert TORCH_PIN in torch_cmd and torch_cmd[torch_cmd.index("--index-url") + 1] == TORCH_INDEX["CPU"]
    assert set(WORKER_REQUIREMENTS) <= set(commands[2])
    assert "--no-deps" in commands[3] and "mediapipe==0.10.21" in commands[3]
    assert commands[-1][1] == "-c" and "import" in commands[-1][2]
    for command in commands[1:4]:
        assert command[1:4] == ["-m", "pip", "install"] and "--no-input" in command
    cuda = install_commands(base, tmp_path, "CUDA")[1]
    assert cuda[cuda.index("--index-url") + 1] == TORCH_INDEX["CUDA"]
    with pytest.raises(ValueError, match="device"):
        install_commands(base, tmp_path, "TPU")


def test_auto_device_picks_cpu_on_macos() -> None:
    assert default_torch_build("darwin") == "CPU"
    assert default_torch_build("win32", {"SystemRoot": "/nonexistent"}) == "CPU"


def test_python_resolution_order(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    assert resolve_worker_python("", runtime, {}).source == "none"
    runtime_py = venv_python(runtime / "venv")
    runtime_py.parent.mkdir(parents=True)
    runtime_py.write_text("")
    assert resolve_worker_python("", runtime, {}).path == runtime_py
    user_py = tmp_path / "user_python"
    user_py.write_text("")
    assert resolve_worker_python(str(user_py), runtime, {}).source == "preferences"
    chosen = resolve_worker_python(str(user_py), runtime, {ENV_PYTHON: sys.executable})
    assert (chosen.source, chosen.path) == ("environment", Path(sys.executable))
    with pytest.raises(ValueError, match="does not exist"):
        resolve_worker_python(str(tmp_path / "missing"), runtime, {})
    with pytest.raises(ValueError, match=ENV_PYTHON):
        resolve_worker_python("", runtime, {ENV_PYTHON: str(tmp_path / "missing")})


def _finish(job: InstallJob, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while job.poll() not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, "install job did not finish"
        time.sleep(0.02)
    return job.state


def test_install_job_runs_commands_in_order_and_logs(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    job = InstallJob([[sys.executable, "-c", "print('first')"], [sys.executable, "-c", "print('second')"]], log)
    assert _finish(job) == "done"
    text = log.read_text()
    assert text.index("first") < text.index("second")
    assert job.log_tail(1) == ["[done] "]


def test_install_job_stops_at_the_first_failure(tmp_path: Path) -> None:
    job = InstallJob([[sys.executable, "-c", "raise SystemExit(3)"], [sys.executable, "-c", "print('never')"]],
                     tmp_path / "install.log")
    assert _finish(job) == "failed"
    assert "step 1/2" in job.error and "exit code 3" in job.error
    assert (tmp_path / "install.log").read_text().count("$ ") == 1  # the second command never started
    missing = InstallJob([[str(tmp_path / "no_such_python")]], tmp_path / "b.log")
    assert _finish(missing) == "failed" and "cannot run" in missing.error


def test_install_job_cancel_terminates(tmp_path: Path) -> None:
    job = InstallJob([[sys.executable, "-c", "import time; time.sleep(30)"]], tmp_path / "install.log")
    job.poll()
    assert job.state == "running"
    job.cancel()
    assert job.poll() == "cancelled"

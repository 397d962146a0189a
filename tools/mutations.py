"""Deliberate bugs that the test suite must catch (issue 16): each is applied to a throw-away copy of the repository,
the tests meant to catch it run there, and the bug is CAUGHT when they fail. Exit status 1 when any is MISSED.

    .venv/bin/python -m tools.mutations            # every mutation
    .venv/bin/python -m tools.mutations slerp ddp  # some, by name

Each mutation is found by an exact anchor text, never a line number, so moving code around cannot make a mutation
silently hit the wrong place: a missing (or ambiguous) anchor is an error. When a file moves, update MUTATIONS.
The same tests first run on the unmutated copy and must pass there, so a catch is never a broken test environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the repository root
    old: str  # exact text, must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest arguments (files, -k expressions) that must fail with the bug in place


MUTATIONS = (
    Mutation(
        "reprojection-without-huber",
        "core/world/reprojection.py",
        "        weight = base * np.where(residual <= delta, 1.0, delta / np.maximum(residual, 1e-9))",
        "        weight = base  # mutation: plain least squares",
        ("tests/core/world/test_reprojection.py",),
    ),
    Mutation(
        "rigid-from-the-unplaced-parent",
        "core/world/body.py",
        "        d = joints[:, c] - out[:, p]",
        "        d = joints[:, c] - joints[:, p]  # mutation: each bone keeps its own direction, errors carried down",
        ("tests/core/world/test_body_and_contacts.py", "-k", "rigid"),
    ),
    Mutation(
        "image-fit-ignores-confidence",
        "core/world/image_fit.py",
        "    out[..., :2] += (share * weight)[..., None] * (on_ray - points[..., :2])",
        "    out[..., :2] += share * (on_ray - points[..., :2])  # mutation: unsure joints moved as far as sure ones",
        ("tests/core/world/test_image_fit.py", "tests/core/live/test_live_post.py", "-k", "confidence"),
    ),
    Mutation(
        "placement-not-drawn-onto-the-2d",
        "core/world/place.py",
        "    moved = onto_rays(seen, xy_px, width, height, focal, conf, share)",
        "    moved = seen  # mutation: the lifter's pose as it is",
        ("tests/core/world/test_place.py", "-k", "lines_up"),
    ),
    Mutation(
        "others-see-the-tracked-person",
        "core/others.py",
        "    out[top:bottom, left:right] = PAINT",
        "    pass  # mutation: the tracked person left in the frame",
        ("tests/core/test_others.py", "-k", "second_person or painted"),
    ),
    Mutation(
        "floor-points-ignored",
        "core/world/ground.py",
        "    return unit(np.linalg.solve(prior_m2 * np.eye(3) + spread, prior_m2 * unit(np.asarray(up, float))))",
        "    return unit(np.asarray(up, float))  # mutation: the floor under the feet ignored",
        ("tests/core/world/test_ground_root_footlock.py", "tests/core/world/test_place.py", "-k", "floor"),
    ),
    Mutation(
        "support-at-the-ankles",
        "core/world/ground.py",
        "        support = ankles + centre_of_pressure_m * unit(np.cross(hips, up))  # the mid-foot",
        "        support = ankles  # mutation: the weight under the ankle joints",
        ("tests/core/world/test_ground_root_footlock.py", "-k", "mid_foot"),
    ),
    Mutation(
        "live-level-change-is-a-step",
        "core/live/post.py",
        "            self._soles.clear()",
        "            pass  # mutation: soles measured in another world frame kept",
        ("tests/core/live/test_live_post.py", "-k", "steady_pose"),
    ),
    Mutation(
        "slerp",
        "core/rotations.py",
        "    q1 = np.where(dot < 0.0, -q1, q1)",
        "    pass  # mutation: no short-way-round",
        ("tests/core/test_quaternions.py", "tests/core/data/test_bvh.py"),
    ),
    Mutation(
        "bvh-resample-nlerp",
        "core/data/bvh.py",
        "    rotations = quat.slerp(motion.rotations[i0], motion.rotations[i1], w[:, None])",
        "    wq = w[:, None, None]  # mutation: normalised linear blend\n"
        "    rotations = (1.0 - wq) * motion.rotations[i0] + wq * motion.rotations[i1]\n"
        "    rotations = rotations / np.linalg.norm(rotations, axis=-1, keepdims=True)",
        ("tests/core/data/test_bvh.py",),
    ),
    Mutation(
        "worker-cancel",
        "core/worker/server.py",
        "        job.cancel.set()",
        "        pass  # mutation: the stop flag is never set",
        ("tests/core/worker/test_worker.py", "-k", "cancel"),
    ),
    Mutation(
        "attention-target-frame",
        "core/models/attention.py",
        "    return anchor(n, causal)",
        "    return 0  # mutation: frame 0 instead of the target",
        ("tests/core/models/test_models_contract.py",),
    ),
    Mutation(
        "foot-speed-scale",
        "core/world/contacts.py",
        "    return baseline_speed(xy_px[:, list(joints)], times, baseline_s) / px_per_m[:, None]",
        "    return baseline_speed(xy_px[:, list(joints)] / px_per_m[:, None, None], times, baseline_s)  # mutation",
        ("tests/core/world/test_body_and_contacts.py",),
    ),
    Mutation(
        "numpy-lifter-residual",
        "core/lifter_numpy.py",
        "        return x[:, unit_anchors(p, k, dilation, causal)] + y",
        "        return y  # mutation: the residual dropped",
        ("tests/core/test_lifter_numpy.py",),
    ),
    Mutation(
        "ensemble-member-window",
        "core/lifter_ensemble.py",
        "    offsets = [lead - edge_padding(r, s)[0] for r, s in fields]",
        "    offsets = [0 for r, s in fields]  # mutation: every member reads from the start",
        ("tests/core/test_lifter_ensemble.py",),
    ),
    Mutation(
        "ensemble-member-unchecked",
        "core/lifter_numpy.py",
        "        _verify(path, member[\"state_dict\"], member[\"sha256\"])",
        "        pass  # mutation: a member's weights not verified",
        ("tests/core/test_lifter_ensemble.py",),
    ),
    Mutation(
        "eval-swaps-left-in",
        "core/eval/cli.py",
        "    if int(model.causal_shift) > 0:\n        return sequences",
        "    if True:  # mutation: offline models scored on swapped 2D that capture would have repaired\n"
        "        return sequences",
        ("tests/core/eval/test_evaluate.py", "-k", "as_lifted"),
    ),
    Mutation(
        "camera-motion-sign",
        "core/camera_motion.py",
        "    return xy - camera_path(shift)[:, None, :]",
        "    return xy + camera_path(shift)[:, None, :]  # mutation: the pan added, not removed",
        ("tests/core/test_camera_motion.py", "tests/core/world/test_place.py"),
    ),
    Mutation(
        "gravity-from-support",
        "core/world/ground.py",
        "        v = unit(com - support)",
        "        v = unit(frames[:, 8] - frames[:, 0])  # mutation: the trunk is vertical",
        ("tests/core/world/test_ground_root_footlock.py", "tests/core/world/test_place.py"),
    ),
    Mutation(
        "hand-on-the-other-arm",
        "core/hands/track.py",
        "        attached = assign_to_wrists(unpack_hands(raw, i), body_xy[i, list(WRISTS)])",
        "        attached = assign_to_wrists(unpack_hands(raw, i), body_xy[i, list(WRISTS)[::-1]])  # mutation",
        ("tests/core/hands/test_hand_capture.py",),
    ),
    Mutation(
        "ddp",
        "core/train/loop.py",
        "            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)",
        "            self.net = self.model  # mutation: ranks never synchronise",
        ("tests/core/train/test_train.py", "-k", "ddp"),
    ),
    Mutation(
        "fuse-swapped-frames",
        "core/capture.py",
        "track.detected & ~track.swapped, track.times, share)",
        "track.detected, track.times, share)  # mutation: MediaPipe's 3D kept on swapped frames",
        ("tests/core/test_fuse3d.py",),
    ),
    Mutation(
        "camera-motion-followed-into-person",
        "core/camera_motion.py",
        "            points = points[_outside(points[:, 0], boxes)]",
        "            pass  # mutation: followed features that enter the person are kept",
        ("tests/core/test_camera_motion.py",),
    ),
    Mutation(
        "numpy-lifter-layer0-shift",
        "core/lifter_numpy.py",
        "pending = {u + 1: [f[starts[:, None] + first[None, :]]]",
        "pending = {u + 1: [f[np.minimum(starts[:, None] + first[None, :] + 1, len(f) - 1)]]",
        ("tests/core/test_lifter_numpy.py",),
    ),
    Mutation(
        "training-branch-taps-undilated",
        "core/models/attention.py",
        "taps = unit_taps(p_in, self.kernel, dilation, m, self.causal).flatten()",
        "taps = unit_taps(p_in, self.kernel, dilation, 0, self.causal).flatten()",
        ("tests/core/models/test_models_equivalence.py", "-k", "branch_equals_padded"),
    ),
    Mutation(
        "upright-3d-turned-back-the-wrong-way",
        "core/lift.py",
        "return turn_3d(out, roll) if roll else out",
        "return turn_3d(out, -roll) if roll else out",
        ("tests/core/test_upright.py",),
    ),
    Mutation(
        "worker-process-draws-another-position",
        "core/train/prefetch.py",
        "future = self.pool.submit(_draw_in_worker, self.seed, epoch, step, self.rank, self.batch)",
        "future = self.pool.submit(_draw_in_worker, self.seed, step, epoch, self.rank, self.batch)",
        ("tests/core/train/test_train.py", "-k", "worker_processes"),
    ),
    Mutation(
        "contact-cues-read-the-other-foot",
        "core/world/contact_model.py",
        "cols = [_log(s[:, j]) for s in speeds + sided]",
        "cols = [_log(s[:, o]) for s in speeds + sided]",
        ("tests/core/world/test_contact_model.py",),
    ),
    Mutation(
        "live-contacts-read-the-oldest-frame",
        "core/live/post.py",
        "cues = causal_contact_features(xys, times, scales, poses, up)[-1]",
        "cues = causal_contact_features(xys, times, scales, poses, up)[0]",
        ("tests/core/live/test_live_contacts.py",),
    ),
    Mutation(
        "image-gravity-takes-the-images-roll",
        "core/world/ground.py",
        "    return up_from_angles(pitch, roll_b if from_contacts else 0.5 * (roll_b + roll_i))",
        "    return up_from_angles(pitch, roll_i if from_contacts else 0.5 * (roll_b + roll_i))",
        ("tests/core/world/test_gravity.py", "tests/core/world/test_place.py", "-k", "roll_is_the or sideways_lean"),
    ),
    Mutation(
        "limb-transplant-reads-the-donor-in-world-axes",
        "core/data/augment.py",
        "    turn = body_frames(recipient, across) @ np.swapaxes(body_frames(donor, across), -1, -2)",
        "    turn = np.eye(3)  # mutation: the donor's limb copied in world axes, whatever its trunk does",
        ("tests/core/data/test_augment.py",),
    ),
    Mutation(
        "training-windows-behind-the-camera-kept",
        "core/data/dataset.py",
        "        in_front = x_cam[..., 2].min(axis=(1, 2)) >= MIN_DEPTH_M",
        "        in_front = np.ones(len(x_cam), dtype=bool)  # mutation: a point behind the camera projects too",
        ("tests/core/data/test_dataset.py", "-k", "seeable or can_see"),
    ),
    Mutation(
        "training-windows-far-outside-the-frame-kept",
        "core/data/dataset.py",
        "        seen = in_front & (np.abs(x).max(axis=(1, 2, 3)) <= MAX_ABS_2D)",
        "        seen = in_front  # mutation: 2D of any size",
        ("tests/core/data/test_dataset.py", "-k", "seeable or can_see"),
    ),
    Mutation(
        "training-ignores-a-polite-stop",
        "core/train/loop.py",
        "    if _SIGNALLED.is_set():\n        reason = 3\n",
        "    if False:  # mutation\n        reason = 3\n",
        ("tests/core/train/test_train.py", "-k", "signal"),
    ),
    Mutation(
        "contact-cues-shrink-their-windows-at-the-clip-ends",
        "core/world/contacts.py",
        "        lo = np.clip(np.arange(T) - half, 0, T - 1 - 2 * half)\n        hi = lo + 2 * half\n",
        "        pass  # mutation\n",
        ("tests/core/world/test_body_and_contacts.py", "tests/core/world/test_place.py"),
    ),
    Mutation(
        "world-perceptrons-skip-their-hidden-relu",
        "core/world/model_file.py",
        "            x = np.maximum(x, 0.0)",
        "            pass  # mutation",
        ("tests/core/world/test_contact_model.py",),
    ),
    Mutation(
        "data-pack-ignores-its-key",
        "core/train/data_pack.py",
        'if header["key"] != json.loads(json.dumps(pack_key(config))):',
        "if False:  # mutation",
        ("tests/core/train/test_data_pack.py",),
    ),
    Mutation(
        "dropout-keeps-its-mask-unscaled",
        "core/models/blocks.py",
        "        return x * (torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))",
        "        return x * (torch.rand_like(x) >= self.p)  # mutation",
        ("tests/core/models/test_dropout.py",),
    ),
    Mutation(
        "videopose-numpy-residual-unanchored",
        "core/videopose_numpy.py",
        "            start = dilation * anchor(widths[i + 1], causal)",
        "            start = 0  # mutation",
        ("tests/core/test_videopose_numpy.py",),
    ),
    Mutation(
        "numpy-lifter-mirror-pass-unmirrored",
        "core/numpy_layers.py",
        "                pred = 0.5 * (self.sequence(x) + flip(mirrored.result()))",
        "                pred = 0.5 * (self.sequence(x) + mirrored.result())  # mutation",
        ("tests/core/test_lifter_numpy.py", "tests/core/test_videopose_numpy.py"),
    ),
    Mutation(
        "cli-starts-helpers-after-the-pipeline-import",
        "core/cli.py",
        "    from . import helper_pool\n",
        "    from . import helper_pool\n    from . import capture  # noqa: F401  mutation\n",
        ("tests/core/test_helper_pool.py",),
    ),
    Mutation(
        "cli-keeps-numpy-blas-threads",
        "core/cli.py",
        "    one_blas_thread()  # before NumPy loads",
        "    pass  # mutation: before NumPy loads",
        ("tests/core/test_helper_pool.py",),
    ),
)

_IGNORE = shutil.ignore_patterns(".venv*", ".git", "runs", "out", "dist", ".cache", "__pycache__", ".pytest_cache",
                                 ".ruff_cache", ".gpu")  # fmt: skip


def python() -> str:
    """The repository's .venv interpreter (the one the tests are meant for), else the current one."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def apply(root: Path, m: Mutation) -> None:
    path = root / m.file
    if not path.is_file():
        raise SystemExit(f"[mutations] {m.name}: {m.file} does not exist (moved? update MUTATIONS)")
    text = path.read_text(encoding="utf-8")
    count = text.count(m.old)
    if count != 1:
        raise SystemExit(f"[mutations] {m.name}: anchor found {count} times in {m.file} (expected once): {m.old!r}")
    path.write_text(text.replace(m.old, m.new), encoding="utf-8")


def pytest(root: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    cmd = [python(), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o", "addopts=", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="0"))


def run(m: Mutation) -> bool:
    """True when the tests catch the mutation (they pass without it and fail with it)."""
    with tempfile.TemporaryDirectory(prefix=f"mutation_{m.name}_") as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(REPO, root, ignore=_IGNORE, symlinks=True)
        shared = REPO.parent / "shared"
        if shared.is_dir():
            (Path(tmp) / "shared").symlink_to(shared)  # the tests look for ../shared beside the checkout
        baseline = pytest(root, m.tests)
        if baseline.returncode != 0:
            print(f"BROKEN  {m.name:24s} the tests fail without the mutation:\n{baseline.stdout[-3000:]}")
            return False
        apply(root, m)
        t0 = time.monotonic()
        proc = pytest(root, m.tests)
        tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        # pytest exit 1 = tests failed; anything else (5 = none collected, 2 = interrupted, 4 = usage) is not a catch
        caught = proc.returncode == 1
        print(f"{'CAUGHT' if caught else 'MISSED'}  {m.name:24s} {time.monotonic() - t0:6.1f} s  {tail}", flush=True)
        if not caught and proc.returncode != 0:
            print(proc.stdout[-2000:] + proc.stderr[-2000:])
        return caught


def main(argv: list[str]) -> int:
    known = {m.name: m for m in MUTATIONS}
    unknown = [name for name in argv if name not in known]
    if unknown:
        print(f"unknown mutations {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    chosen = [known[name] for name in argv] if argv else list(MUTATIONS)
    missed = [m.name for m in chosen if not run(m)]
    print(f"{len(chosen) - len(missed)}/{len(chosen)} caught" + (f"; MISSED: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

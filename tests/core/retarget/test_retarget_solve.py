"""The retarget maths without bpy: rotations, chains, rest offsets, root translation, heading, foot locking."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from retarget_synth import BoneDef, Proportions, humanoid, numpy_rig, same_proportions, source_rest_joints, walk

from core.retarget.footlock import FootLockConfig, detect_contacts, intervals, lock_targets, two_bone_ik
from core.retarget.frames import sample_polyline
from core.retarget.mapping import BoneMap, detect_preset
from core.retarget.rotations import frame, swing
from core.retarget.solve import RetargetOptions, retarget
from core.retarget.target import TargetRig
from core.rotations import EULER_ORDERS, matrix_to_axis_angle, matrix_to_euler, quaternion_to_matrix
from core.skeleton import JOINT_INDEX as J

RNG = np.random.default_rng(0)


def _axis(axis: int, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros(angle.shape + (3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3  # cyclic, so every axis turns right-handed
    m[..., axis, axis] = 1
    m[..., i, i], m[..., i, j], m[..., j, i], m[..., j, j] = c, -s, s, c
    return m


@pytest.fixture(scope="module")
def motion() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    joints, planted = walk(60)
    return joints, source_rest_joints(joints), planted


def _run(bones: list[BoneDef], motion, **options):  # noqa: ANN001, ANN003, ANN202
    joints, rest, _ = motion
    rig = numpy_rig(bones)
    return retarget(joints, rest, rig, detect_preset(list(rig.names)).mapping, RetargetOptions(**options)), rig


def _dirs(joints: np.ndarray, pairs: tuple[tuple[str, str], ...]) -> np.ndarray:
    v = np.stack([joints[:, J[b]] - joints[:, J[a]] for a, b in pairs], axis=1)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


LIMBS = (("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("r_hip", "r_knee"), ("r_knee", "r_ankle"),
         ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"))


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


# --- rotations -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_matches_blenders_order_and_stays_continuous(order: str) -> None:
    angles = np.cumsum(RNG.normal(scale=0.3, size=(200, 3)), axis=0)  # wanders over several turns
    mats = [_axis("XYZ".index(c), angles[:, "XYZ".index(c)]) for c in order]
    m = mats[2] @ mats[1] @ mats[0]  # Blender: the first letter is applied first
    euler = matrix_to_euler(m, order)
    rebuilt = [_axis("XYZ".index(c), euler[:, "XYZ".index(c)]) for c in order]
    assert np.allclose(rebuilt[2] @ rebuilt[1] @ rebuilt[0], m, atol=1e-9)
    assert np.abs(np.diff(euler, axis=0)).max() < 1.5  # no jump by a turn (or a flip to the other solution)
    with pytest.raises(ValueError, match="Euler order"):
        matrix_to_euler(m, "XXY")


def test_axis_angle_and_swing() -> None:
    q = RNG.normal(size=(50, 4))
    m = quaternion_to_matrix(q / np.linalg.norm(q, axis=-1, keepdims=True))
    aa = matrix_to_axis_angle(m)
    k = aa[:, 1:]
    kx = np.zeros((50, 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 0], kx[:, 1, 2], kx[:, 2, 0], kx[:, 2, 1] = (
        -k[:, 2], k[:, 1], k[:, 2], -k[:, 0], -k[:, 1], k[:, 0])
    s, c = np.sin(aa[:, 0])[:, None, None], np.cos(aa[:, 0])[:, None, None]
    assert np.allclose(np.eye(3) + s * kx + (1 - c) * kx @ kx, m, atol=1e-9)  # Rodrigues rebuilds the rotation
    a, b = RNG.normal(size=(100, 3)), RNG.normal(size=(100, 3))
    for x, y in ((a, b), (a, -a), (a, a)):
        r = swing(x, y)
        assert np.allclose((r @ x[..., None])[..., 0] / np.linalg.norm(x, axis=-1, keepdims=True),
                           y / np.linalg.norm(y, axis=-1, keepdims=True), atol=1e-9)
        assert np.allclose(r @ np.swapaxes(r, -1, -2), np.eye(3), atol=1e-9)
    f = frame(a, b)
    assert np.allclose(f @ np.swapaxes(f, -1, -2), np.eye(3), atol=1e-9) and np.allclose(np.linalg.det(f), 1.0)


def test_sample_polyline() -> None:
    points = np.array([[[0.0, 0, 0], [0, 0, 1], [0, 1, 1]]])
    out = sample_polyline(points, np.array([0.0, 0.25, 0.5, 0.75, 1.0]))[0]
    assert np.allclose(out, [[0, 0, 0], [0, 0, 0.5], [0, 0, 1], [0, 0.5, 1], [0, 1, 1]])


# --- retargeting -----------------------------------------------------------------------------------------------------


def test_same_proportions_reproduce_the_source_exactly(motion) -> None:
    joints, rest, _ = motion
    result, rig = _run(same_proportions(rest, 0), motion)
    # The target's spine pseudo joint is its chain's midpoint; its real spine joint is the head of Spine1.
    got = result.joints.copy()
    got[:, J["spine"]] = result.matrices[:, rig.names.index("Spine1"), :3, 3]
    assert np.abs(got - joints).max() < 1e-9
    assert result.scale == pytest.approx(1.0)


def test_rest_pose_and_rolls_do_not_change_the_motion(motion) -> None:
    """T-pose vs A-pose vs other rolls: the same body posed the same way (rest offsets absorb the differences)."""
    t_pose, _ = _run(humanoid("mixamo", Proportions(), seed=1), motion)
    a_pose, _ = _run(humanoid("mixamo", Proportions(arm_down=45.0), seed=2), motion)
    rolled, _ = _run(humanoid("mixamo", Proportions(), seed=3), motion)
    assert np.abs(rolled.joints - t_pose.joints).max() < 1e-9
    assert np.abs(a_pose.joints - t_pose.joints).max() < 1e-9
    assert not np.allclose(rolled.rotations, t_pose.rotations)  # the keys differ, the pose does not


def test_limbs_follow_the_source_directions_on_other_proportions(motion) -> None:
    joints, _, _ = motion
    short = Proportions(thigh=0.36, shin=0.33, upper_arm=0.22, forearm=0.2, torso=0.42, arm_down=45.0)
    for convention in ("generic", "vrm", "unreal"):
        result, _ = _run(humanoid(convention, short, seed=4), motion)
        assert _angle(_dirs(result.joints, LIMBS), _dirs(joints, LIMBS)).max() < 1e-4, convention


@pytest.mark.parametrize("count", [1, 3, 5])
def test_spine_chains_of_any_length_follow_the_source(motion, count: int) -> None:
    joints, _, _ = motion
    conv_spine = tuple(f"spine_0{i}" for i in range(1, count + 1))
    bones = humanoid("unreal", Proportions(torso=0.6), seed=5, spine=conv_spine)
    rig = numpy_rig(bones)
    mapping = detect_preset(list(rig.names)).mapping
    mapping = BoneMap({**mapping.bones, "thorax": conv_spine[-1]}, None, "unreal")
    result = retarget(joints, motion[1], rig, mapping)
    chain = [rig.names.index(n) for n in conv_spine]
    start, end = result.matrices[:, chain[0], :3, 3], result.joints[:, J["thorax"]]
    source = joints[:, J["thorax"]] - joints[:, J["pelvis"]]
    error = _angle((end - start) / np.linalg.norm(end - start, axis=-1, keepdims=True),
                   source / np.linalg.norm(source, axis=-1, keepdims=True))
    assert error.max() < 0.5, error.max()
    # The chain bends like the source: every chain joint lies on the (scaled) source curve, not on a straight line.
    if count > 1:
        scale = np.linalg.norm(end - start, axis=-1).mean() / np.linalg.norm(source, axis=-1).mean()
        heads = result.matrices[:, chain][..., :3, 3] - start[:, None]
        curve = (joints[:, [J["pelvis"], J["spine"], J["thorax"]]] - joints[:, J["pelvis"]][:, None]) * scale
        dense = sample_polyline(curve, np.linspace(0, 1, 200))
        gap = np.linalg.norm(heads[:, :, None] - dense[:, None], axis=-1).min(axis=-1)
        assert gap.max() < 0.01, gap.max()


def test_root_translation_is_scaled_by_the_leg_length_ratio(motion) -> None:
    joints, rest, _ = motion
    big = [replace(b, head=tuple(np.multiply(b.head, 1.3)), tail=tuple(np.multiply(b.tail, 1.3)))
           for b in same_proportions(rest, 0)]
    scaled, _ = _run(big, motion)
    assert scaled.scale == pytest.approx(1.3)
    moved = scaled.joints[:, J["pelvis"]] - 1.3 * rest[J["pelvis"]]
    assert np.allclose(moved, 1.3 * (joints[:, J["pelvis"]] - rest[J["pelvis"]]), atol=1e-9)
    unscaled, _ = _run(big, motion, scale_translation=False)
    assert np.allclose(unscaled.joints[:, J["pelvis"]] - 1.3 * rest[J["pelvis"]],
                       joints[:, J["pelvis"]] - rest[J["pelvis"]], atol=1e-9)


def test_heading_alignment_turns_the_motion_with_the_target(motion) -> None:
    """A rig built facing +X walks along +X (its own forward), the same motion turned by 90°."""
    bones = humanoid("vrm", Proportions(), seed=6)
    turn = _axis(2, np.array(np.pi / 2))
    turned = [replace(b, head=tuple(turn @ b.head), tail=tuple(turn @ b.tail)) for b in bones]
    facing, _ = _run(bones, motion)
    rotated, _ = _run(turned, motion)
    assert np.allclose(rotated.joints, facing.joints @ turn.T, atol=1e-9)
    unaligned, _ = _run(turned, motion, align_heading=False)
    assert not np.allclose(unaligned.joints, rotated.joints, atol=1e-3)


def test_foot_locking_pins_planted_feet(motion) -> None:
    joints, _, planted = motion
    config = FootLockConfig()
    contacts = detect_contacts(joints[:, [J["l_ankle"], J["r_ankle"]]], 30.0, config)
    assert (contacts == planted).mean() > 0.9
    bones = humanoid("mixamo", Proportions(thigh=0.5, shin=0.36, hip_width=0.14), seed=7)
    rig = numpy_rig(bones)
    mapping = detect_preset(list(rig.names)).mapping
    free = retarget(joints, motion[1], rig, mapping)
    locked = retarget(joints, motion[1], rig, mapping, RetargetOptions(foot_lock=config), contacts)

    def slide(result) -> float:  # noqa: ANN001
        ankles = result.joints[:, [J["l_ankle"], J["r_ankle"]]]
        return max(np.linalg.norm(ankles[a:b + 1, k] - ankles[a, k], axis=-1).max()
                   for k in range(2) for a, b in intervals(contacts[:, k]))

    assert slide(free) > 2e-3 and slide(locked) < 1e-9
    # Locking bends legs, never stretches them: thigh and shin keep their lengths.
    for result in (free, locked):
        for a, b in (("l_hip", "l_knee"), ("l_knee", "l_ankle")):
            length = np.linalg.norm(result.joints[:, J[b]] - result.joints[:, J[a]], axis=-1)
            assert np.ptp(length) < 1e-9


def test_two_bone_ik_reaches_or_clamps() -> None:
    hip, knee, ankle = np.array([0.0, 0, 1]), np.array([0.0, -0.1, 0.5]), np.array([0.0, 0, 0.02])
    goal = np.array([0.1, 0.1, 0.1])
    new_knee, new_ankle = two_bone_ik(hip, knee, ankle, goal, np.array([0.0, -1.0, 0.0]))
    assert np.allclose(new_ankle, goal)
    assert np.isclose(np.linalg.norm(new_knee - hip), np.linalg.norm(knee - hip))
    assert np.isclose(np.linalg.norm(new_ankle - new_knee), np.linalg.norm(ankle - knee))
    far = np.array([0.0, 0.0, -5.0])
    _, reach = two_bone_ik(hip, knee, ankle, far, np.array([0.0, -1.0, 0.0]))
    assert np.linalg.norm(reach - hip) < np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee)
    goals, weights = lock_targets(np.zeros((10, 2, 3)) + np.arange(10)[:, None, None], np.zeros((10, 2), bool), 2)
    assert weights.max() == 0.0 and np.allclose(goals[:, 0, 0], np.arange(10))


def test_undriven_bones_keep_their_pose(motion) -> None:
    bones = humanoid("mixamo", Proportions(), seed=8)
    bones.append(BoneDef("LeftHandIndex1", "mixamorig:LeftHand", (0.8, 0, 1.4), (0.85, 0, 1.4), 0.3))
    rig = numpy_rig(bones)
    bent = rig.basis.copy()
    bent[-1, :3, :3] = _axis(0, np.array(0.7))
    rig = TargetRig(rig.names, rig.parents, rig.rest, rig.lengths, bent)
    result = retarget(motion[0], motion[1], rig, detect_preset(list(rig.names)).mapping)
    finger, hand = len(bones) - 1, rig.names.index("mixamorig:LeftHand")
    assert finger not in result.driven
    local = np.linalg.inv(result.matrices[:, hand]) @ result.matrices[:, finger]
    assert np.allclose(local, np.linalg.inv(rig.rest[hand]) @ rig.rest[finger] @ bent[-1], atol=1e-9)


def test_bad_inputs_are_explained(motion) -> None:
    joints, rest, _ = motion
    rig = numpy_rig(humanoid("generic", Proportions(), seed=9))
    mapping = detect_preset(list(rig.names)).mapping
    with pytest.raises(ValueError, match="must be mapped"):
        retarget(joints, rest, rig, BoneMap({k: v for k, v in mapping.bones.items() if k != "l_knee"}))
    with pytest.raises(ValueError, match="no bones named"):
        retarget(joints, rest, rig, BoneMap({**mapping.bones, "head": "Skull"}))
    with pytest.raises(ValueError, match="does not descend"):
        retarget(joints, rest, rig, BoneMap({**mapping.bones, "spine": "Chest", "thorax": "Spine"}))
    with pytest.raises(ValueError, match=r"\(T, 17, 3\)"):
        retarget(joints[:, :16], rest, rig, mapping)
    with pytest.raises(ValueError, match="NaN"):
        retarget(np.where(np.arange(3) == 0, np.nan, joints), rest, rig, mapping)
    with pytest.raises(ValueError, match="contacts must have shape"):
        retarget(joints, rest, rig, mapping, RetargetOptions(foot_lock=FootLockConfig()), np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match="parent index"):
        TargetRig(("a", "b"), (1, -1), np.stack([np.eye(4)] * 2), np.ones(2), np.stack([np.eye(4)] * 2))
    with pytest.raises(ValueError, match="tolerances must be positive"):
        FootLockConfig(height_tolerance=0.0)
    with pytest.raises(ValueError, match="blend_frames"):
        FootLockConfig(blend_frames=-1)


@pytest.mark.parametrize("arm_down", [0.0, 45.0])
def test_knees_and_elbows_bend_about_the_targets_own_hinges(motion, arm_down: float) -> None:
    """Twist: the target limb's rest hinge axis (knee: lateral; elbow: arm × forward) is carried onto the source
    limb-plane normal whenever the joint is clearly bent, so the rig bends where its skinning expects it to."""
    joints = motion[0]
    rig = numpy_rig(humanoid("mixamo", Proportions(arm_down=arm_down), seed=10))
    mapping = detect_preset(list(rig.names)).mapping
    result = retarget(joints, motion[1], rig, mapping)
    down = np.radians(arm_down)
    for s, sign in (("l", 1.0), ("r", -1.0)):
        arm = np.array([sign * np.cos(down), 0.0, -np.sin(down)])
        for (upper, mid, end), hinge in (((f"{s}_hip", f"{s}_knee", f"{s}_ankle"), np.array([1.0, 0.0, 0.0])),
                                         ((f"{s}_shoulder", f"{s}_elbow", f"{s}_wrist"),
                                          np.cross(arm, [0.0, -1.0, 0.0]))):
            a = joints[:, J[mid]] - joints[:, J[upper]]
            b = joints[:, J[end]] - joints[:, J[mid]]
            normal = np.cross(a, b)
            bent = np.linalg.norm(normal, axis=-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1) > \
                np.sin(np.radians(26))
            assert bent.sum() > 10, (upper, bent.sum())
            for role in (upper, mid):
                bone = rig.index[mapping.bones[role]]
                carried = result.matrices[:, bone, :3, :3] @ (rig.rest[bone, :3, :3].T @ hinge)
                error = _angle(carried[bent], normal[bent] / np.linalg.norm(normal[bent], axis=-1, keepdims=True))
                assert error.max() < 1.0, (role, error.max())


def test_a_real_cmu_walk_keeps_directions_and_locks_its_feet(shared_dir) -> None:  # noqa: ANN001
    """Real motion (CMU subject 08, walk 01): ankles roll through each contact, the ground is not exactly flat."""
    from core.data.cmu import bvh_to_h36m

    path = shared_dir / "data" / "cmu" / "mb" / "08" / "08_01.bvh"
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    joints = bvh_to_h36m(path, 120.0, 30.0).astype(np.float64)
    rest = source_rest_joints(joints)
    config = FootLockConfig()
    contacts = detect_contacts(joints[:, [J["l_ankle"], J["r_ankle"]]], 30.0, config)
    assert all(len(intervals(contacts[:, k])) >= 2 for k in range(2)) and 0.2 < contacts.mean() < 0.6
    # Same size: the source ankle rolls ~2.5 cm in a contact, so the mean pin lies beyond the straight leg on some
    # frames and must be pulled back within reach.
    for name, bones in (("same size", same_proportions(rest, 13)),
                        ("tall", humanoid("mixamo", Proportions(thigh=0.5, shin=0.47), 11)),
                        ("short A-pose", humanoid("generic", Proportions(thigh=0.36, shin=0.33, arm_down=45), 12))):
        rig = numpy_rig(bones)
        mapping = detect_preset(list(rig.names)).mapping
        free = retarget(joints, rest, rig, mapping)
        locked = retarget(joints, rest, rig, mapping, RetargetOptions(foot_lock=config), contacts)
        assert _angle(_dirs(free.joints, LIMBS), _dirs(joints, LIMBS)).max() < 1e-3, name
        assert _angle(_dirs(locked.joints, LIMBS), _dirs(joints, LIMBS)).mean() < 2.0, name

        def slide(result) -> float:  # noqa: ANN001
            ankles = result.joints[:, [J["l_ankle"], J["r_ankle"]]]
            return max(np.linalg.norm(ankles[a:b + 1, k, :2] - ankles[a, k, :2], axis=-1).max()
                       for k in range(2) for a, b in intervals(contacts[:, k]))

        assert slide(free) > 0.01 and slide(locked) < 1e-3, (name, slide(free), slide(locked))


def test_pins_stand_on_the_target_floor() -> None:
    """A contact captured with the ankle 4 cm up (a heel lifting, the take's floor estimate) is pinned at the target's
    own ankle height: planted feet touch the target's floor on every rig (issue 12)."""
    ankles = np.zeros((10, 2, 3))
    ankles[:, 0, 2] = 0.12  # left ankle 4 cm above the target's rest ankle height (0.08)
    ankles[:, 0, 1] = np.linspace(0.0, 0.02, 10)  # and creeping forward 2 cm
    ankles[:, 1] = [0.2, 0.0, 0.3]  # right foot in the air
    contacts = np.zeros((10, 2), bool)
    contacts[2:8, 0] = True
    goals, weights = lock_targets(ankles, contacts, 0, floor=(np.array([0.0, 0.0, 1.0]), np.array([0.08, 0.08])))
    np.testing.assert_allclose(goals[2:8, 0, 2], 0.08)
    np.testing.assert_allclose(goals[2:8, 0, 1], ankles[2:8, 0, 1].mean())  # one pin for the contact
    np.testing.assert_allclose(goals[:, 1], ankles[:, 1])  # the lifted foot is untouched
    assert weights[2:8, 0].min() == 1.0 and weights[:, 1].max() == 0.0

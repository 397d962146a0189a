"""Training and evaluation data (bpy-free).

* ``bvh`` / ``quaternions`` — BVH parsing, slerp resampling, forward kinematics.
* ``cmu`` / ``cmu_skeletons`` — the shared CMU motions as H36M-17 joints in metres (Z up, 50 fps), cached.
* ``virtual_cameras`` — Human3.6M-like rigs and randomised cameras that keep the motion in view.
* ``noise`` / ``noise_math`` / ``noise_calibration`` — the MediaPipe-like 2D detector-noise model and its jitter
  estimator.
* ``h36m`` — VideoPose3D-format Human3.6M readers and the standard protocol.

Submodules are imported explicitly (``from core.data.cmu import list_motions``) so importing one part never pulls in
the others.
"""

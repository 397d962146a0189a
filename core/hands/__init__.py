"""Hands (issue 14): finger joint angles from MediaPipe's 21 hand landmarks, and back. Detection, the capture file's
hand arrays, the bake onto finger bones and their retarget are not built yet."""

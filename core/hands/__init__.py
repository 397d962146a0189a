"""Hands (issue 14): MediaPipe Hands attached to the body's wrists (``detect.py``) and finger joint angles from the 21
hand landmarks, and back (``angles.py``). Not yet in the capture pipeline: the capture file's hand arrays, the bake
onto finger bones, their retarget and live mode are still to build."""

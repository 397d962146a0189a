"""Evaluation of the lifters: the real-video yardstick (more to come here)."""

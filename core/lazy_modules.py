"""What ``import mediapipe`` loads that pose and hands never use, left unloaded until something touches it.

``import mediapipe`` imports every solution, its drawing helpers (which import ``matplotlib.pyplot`` at the top) and
the whole Tasks API. Every detection process pays that at start-up, before its first frame: ≈ 0.5 s for pyplot
alone, and of the rest (after pyplot was deferred) 0.13 → 0.06 s with the modules below deferred too (approximate,
one 2-core machine; ``python -X importtime``). Pose and hands need ``mediapipe.python`` (the graph bindings) and
their own solution modules only; the two solutions that can download models (lite and heavy pose) are never asked
to, so not even the download helper is needed.

A deferred module is a stub in ``sys.modules``: the first attribute looked up on it (``pyplot.figure``, or a
package's ``__path__`` when a submodule is imported) imports the real modules of its family, which then replace
the stubs. (importlib's LazyLoader does not help on Python 3.11: the import statement itself reads the module's
``__spec__``, which loads it.) One limit, harmless here: a parent package that was imported after the stubs does
not list them as attributes (``mediapipe.solutions.drawing_utils`` is missing; ``import
mediapipe.python.solutions.drawing_utils`` works).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# Families: names that load together (a package first, then its submodules that get stubs too).
_SOLUTIONS = "mediapipe.python.solutions."
DEFERRED: tuple[tuple[str, ...], ...] = (
    ("matplotlib", "matplotlib.pyplot"),
    ("mediapipe.tasks", "mediapipe.tasks.python"),
    *((_SOLUTIONS + name,) for name in ("download_utils", "drawing_styles", "drawing_utils", "face_detection",
                                        "face_mesh", "face_mesh_connections", "holistic", "objectron",
                                        "selfie_segmentation")),
)  # fmt: skip


def defer_unused_imports() -> None:
    """Stub every family of :data:`DEFERRED` that is not loaded yet (nothing happens for one already loaded, or
    whose top-level package is not installed). Call before ``import mediapipe``."""
    for family in DEFERRED:
        defer(family)


def import_mediapipe() -> types.ModuleType:
    """``import mediapipe``, with :data:`DEFERRED` stubbed first: what every detector calls to load it."""
    defer_unused_imports()
    return importlib.import_module("mediapipe")


def defer(family: tuple[str, ...]) -> None:
    """Stub the modules of ``family`` (a package and its submodules) that are not loaded yet, until first use."""
    if family[-1] in sys.modules or importlib.util.find_spec(family[0].split(".")[0]) is None:
        return
    stubs = {n: types.ModuleType(n, f"{n}, imported on first use (core.lazy_modules)") for n in family
             if n not in sys.modules}  # fmt: skip

    def loader(name: str) -> object:
        def load(attr: str) -> object:
            for n, stub in stubs.items():
                if sys.modules.get(n) is stub:
                    del sys.modules[n]
            return getattr(importlib.import_module(name), attr)

        return load

    for name, stub in stubs.items():
        stub.__getattr__ = loader(name)  # type: ignore[method-assign]  # PEP 562: called for attributes it lacks
        parent, _, child = name.rpartition(".")
        if parent in stubs:  # `import a.b as c` reads b as an attribute of a
            setattr(stubs[parent], child, stub)
    sys.modules.update(stubs)

"""World placement of a capture: the body's centre of mass and rigid skeleton, foot contacts, the ground and gravity,
the root path and foot locking (docs/capture.md, "World placement"). Pure NumPy at run time, no bpy; torch only where
``gravity_fit`` trains the gravity model."""

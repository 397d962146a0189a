"""bpy-free core of Video Mocap: geometry, models, data, capture pipeline and worker."""

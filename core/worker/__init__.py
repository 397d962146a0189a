"""The worker: the separate process that runs captures and live sessions, and everything around it.

``server``: the process (command dispatch, the protocol channel, ``main``); ``jobs``: a capture in a thread;
``client``: the add-on's side (standard library only: it runs inside Blender); ``runtime_env``: which Python runs
the worker and how "Install dependencies" builds one. ``python -m core.worker`` starts it (``__main__``).

Nothing is imported here: the add-on imports ``client`` and ``runtime_env`` inside Blender, which must not pull in
the server's imports.
"""

"""Placeholder until the add-on UI lands: nothing to register yet."""


def register() -> None:
    pass


def unregister() -> None:
    pass

"""Development tooling (demo, previews); excluded from the extension build."""

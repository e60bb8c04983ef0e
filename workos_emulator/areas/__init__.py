"""The emulator's WorkOS product areas: each a mixin declaring its `ROUTES` and their handlers
(`on_<endpoint>`); workos_emulator.app assembles them into one WSGI application."""

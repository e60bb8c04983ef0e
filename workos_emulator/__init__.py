"""A WorkOS-compatible HTTP server for development and tests.

Standalone: it imports nothing from the Django apps. See `python -m workos_emulator --help`.
"""

from workos_emulator.app import EmulatorApp
from workos_emulator.server import EmulatorServer

__all__ = ["EmulatorApp", "EmulatorServer"]

"""The version of emulation-rules."""

__version__ = "0.1.0"

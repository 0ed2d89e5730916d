"""archls: architecture-as-code audits in the editor and in CI."""

__version__ = "0.1.0"

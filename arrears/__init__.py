"""Arrears: an open-source collections platform for banks and consumer lenders."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("arrears")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

"""Compatibility shim for code written against the original single-file project.

The seed repository shipped one file, ``classifier_nn.py``, and its README tells
users to write ``from classifier_nn import ClassifierNN``. This top-level module
keeps that import working by re-exporting the class from the :mod:`scratchnn`
package, where it now lives.
"""

from scratchnn import ClassifierNN

__all__ = ["ClassifierNN"]

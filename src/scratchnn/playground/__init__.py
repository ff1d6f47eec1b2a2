"""``scratchnn playground``: watch the real NumPy network learn in the browser.

A local web server (:mod:`.server`, Python's standard library only) holds one
:class:`~.session.Session` per browser tab. Each session trains a :class:`scratchnn.ClassifierNN`
with :meth:`~scratchnn.ClassifierNN.train` in a thread of its own; a training-loop callback
streams the decision boundary, every hidden unit's picture and the loss curves to the page, and
the page can turn the session into the Python script that reproduces it.
"""

from .server import make_server, serve
from .session import Session
from .settings import LIMITS, PlaygroundConfig

__all__ = ["LIMITS", "PlaygroundConfig", "Session", "make_server", "serve"]

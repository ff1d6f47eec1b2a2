"""Serve a playground server in a thread for the playground tests, and shut it down after."""

import threading


def serving(srv):
    """Yield ``srv`` serving in a daemon thread; afterwards end its connections and close it."""
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield srv
    srv.close_all()
    srv.shutdown()
    srv.server_close()

# Runs moto_server with its DynamoDB requests handled one at a time.
#
# moto_server serves each request on its own thread and checks a DynamoDB condition
# expression before writing without a lock, so two racing conditional writes can both
# succeed. DynamoDB applies each request atomically; serialising the DynamoDB requests (and
# only those: an SQS long poll must not hold up a send) gives the tests that guarantee.
#
# With PICPASS_MOTO_EXIT_WITH_PARENT set it exits when its stdin closes: the test binary
# sharing one server between its tests holds the pipe open and the OS closes it when that
# process exits, however it exits.
# Arguments are moto_server's.
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _lock:
            return _dispatch(self, environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _call


def _exit_with_parent():
    sys.stdin.buffer.read()
    os._exit(0)


if os.environ.get("PICPASS_MOTO_EXIT_WITH_PARENT"):
    threading.Thread(target=_exit_with_parent, daemon=True).start()

from moto.server import main  # noqa: E402  (after the patch, on purpose)

sys.exit(main())

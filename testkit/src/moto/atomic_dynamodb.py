# Runs moto_server with its DynamoDB requests handled one at a time.
#
# moto_server serves each request on its own thread and checks a DynamoDB condition
# expression before writing without a lock, so two racing conditional writes can both
# succeed. DynamoDB applies each request atomically; serialising the DynamoDB requests (and
# only those: an SQS long poll must not hold up a send) gives the tests that guarantee.
# Arguments are moto_server's.
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

from moto.server import main  # noqa: E402  (after the patch, on purpose)

sys.exit(main())

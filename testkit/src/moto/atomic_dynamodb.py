# Runs moto_server with its DynamoDB requests handled one at a time.
#
# moto_server serves each request on its own thread and checks a DynamoDB condition
# expression before writing without a lock, so two racing conditional writes can both
# succeed. DynamoDB applies each request atomically; serialising the DynamoDB requests (and
# only those: an SQS long poll must not hold up a send) gives the tests that guarantee.
#
# It also counts a binary attribute's size as DynamoDB does, by its raw bytes: moto keeps the
# base64 text the request carried and counts that, a third more, so an item DynamoDB accepts
# (an access code's packed photo ids, up to 320,000 bytes) would be refused as too large.
# With PICPASS_MOTO_EXIT_WITH_PARENT set it exits when its stdin closes: the test binary
# sharing one server between its tests holds the pipe open and the OS closes it when that
# process exits, however it exits.
# Arguments are moto_server's.
import os
import sys
import threading

from moto.dynamodb.models.dynamo_type import DynamoType
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _lock:
            return _dispatch(self, environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _call

_size = DynamoType.size


def _raw_size(self):
    if self.is_binary() and isinstance(self.value, str):
        # Base64 length to decoded length: 3 bytes per 4 characters, less the padding.
        return len(self.value) * 3 // 4 - self.value[-2:].count("=")
    return _size(self)


DynamoType.size = _raw_size



def _exit_with_parent():
    sys.stdin.buffer.read()
    os._exit(0)


if os.environ.get("PICPASS_MOTO_EXIT_WITH_PARENT"):
    threading.Thread(target=_exit_with_parent, daemon=True).start()

from moto.server import main  # noqa: E402  (after the patch, on purpose)

sys.exit(main())

"""The Celery app test_scripting.py runs a worker of: broker and result backend are
the server under test (SKDB_BROKER)."""

import os

import redis
from celery import Celery

# SwiftKeyDB speaks RESP2 only; redis-py 8 asks for RESP3 unless a connection says
# otherwise, and kombu passes no protocol option through.
_connect = redis.connection.AbstractConnection.__init__


def _resp2(self, *args, **kwargs):
    kwargs["protocol"] = 2
    _connect(self, *args, **kwargs)


redis.connection.AbstractConnection.__init__ = _resp2

url = os.environ["SKDB_BROKER"]
app = Celery("celery_jobs", broker=url, backend=url)
app.conf.broker_connection_retry_on_startup = True


@app.task
def add(x, y):
    return x + y

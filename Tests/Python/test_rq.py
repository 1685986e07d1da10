"""An RQ (Python job queue) worker processes jobs against SwiftKeyDB.

RQ keeps each job's results in a stream (XADD with MAXLEN, read back with
XREVRANGE), its queues in lists and its registries in sorted sets: a worker
run in burst mode must finish every job, and the results and failures must
read back as RQ wrote them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import redis
import rq

SUPPORT = os.path.join(os.path.dirname(__file__), "support")


def test_rq_worker_runs_jobs_and_reads_results_from_the_stream(sut_server):
    sut_server.require()
    conn = redis.Redis(host=sut_server.host, port=sut_server.port, protocol=2)
    conn.flushall()
    sys.path.insert(0, SUPPORT)
    try:
        from rq_jobs import fail, multiply
        queue = rq.Queue("skdb", connection=conn)
        jobs = [queue.enqueue(multiply, i, 7) for i in range(20)]
        failing = queue.enqueue(fail, "boom")
    finally:
        sys.path.remove(SUPPORT)
    env = dict(os.environ, PYTHONPATH=SUPPORT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    url = f"redis://{sut_server.host}:{sut_server.port}/0?protocol=2"
    worker = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", url, "skdb"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    for i, job in enumerate(jobs):
        job.refresh()
        assert job.get_status() == "finished", (i, job.get_status(), worker.stderr[-2000:])
        assert job.return_value() == i * 7
        # The result lives in the job's result stream.
        assert conn.type(f"rq:results:{job.id}") == b"stream"
        assert len(conn.xrevrange(f"rq:results:{job.id}", count=1)) == 1
    failing.refresh()
    assert failing.get_status() == "failed"
    assert "boom" in (failing.latest_result().exc_string or "")
    assert queue.count == 0

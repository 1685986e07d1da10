"""The job-queue pattern against the server under test, through redis-py.

Four consumer threads loop on `BRPOP q1 q2 q3 1`; three producer threads LPUSH
3,000 jobs with unique ids spread over the three queues.  Every job must be
delivered exactly once, nothing may be left in the queues, and the whole run
must finish well within 20 seconds.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import redis

QUEUES = ["q1", "q2", "q3"]
PRODUCERS = 3
CONSUMERS = 4
JOBS = 3000
TIME_LIMIT = 20.0


def make_client(server) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port, protocol=2,
                       socket_timeout=5, socket_connect_timeout=5)


def test_job_queue_delivers_every_job_exactly_once(sut_server):
    sut_server.require()
    admin = make_client(sut_server)
    admin.flushall()

    received = []                 # (consumer, queue, job) from every consumer
    received_lock = threading.Lock()
    errors = []
    producers_done = threading.Event()
    stop = threading.Event()
    deadline = time.monotonic() + TIME_LIMIT

    def producer(n: int) -> None:
        r = make_client(sut_server)
        try:
            for i in range(n, JOBS, PRODUCERS):
                if stop.is_set():
                    return
                queue = QUEUES[i % len(QUEUES)]
                r.lpush(queue, f"job:{i}")
        except Exception as e:  # reported by the main thread
            errors.append(f"producer {n}: {e!r}")
        finally:
            r.close()

    def consumer(n: int) -> None:
        r = make_client(sut_server)
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                pushing_over = producers_done.is_set()
                item = r.brpop(QUEUES, timeout=1)
                if item is None:
                    if pushing_over:
                        return  # every job was pushed before this wait, and none is left
                    continue
                queue, job = item
                with received_lock:
                    received.append((n, queue.decode(), job.decode()))
        except Exception as e:
            errors.append(f"consumer {n}: {e!r}")
        finally:
            r.close()

    consumers = [threading.Thread(target=consumer, args=(n,), daemon=True) for n in range(CONSUMERS)]
    producers = [threading.Thread(target=producer, args=(n,), daemon=True) for n in range(PRODUCERS)]
    start = time.monotonic()
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    producers_done.set()
    for t in consumers:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    elapsed = time.monotonic() - start
    stop.set()
    alive = [t.name for t in consumers + producers if t.is_alive()]

    assert not errors, errors
    assert not alive, f"threads still running after {elapsed:.1f}s: {alive}"
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f}s"

    jobs = Counter(job for _, _, job in received)
    duplicates = {job: n for job, n in jobs.items() if n > 1}
    missing = {f"job:{i}" for i in range(JOBS)} - set(jobs)
    assert not duplicates, f"delivered more than once: {sorted(duplicates)[:10]}"
    assert not missing, f"{len(missing)} jobs never delivered, e.g. {sorted(missing)[:10]}"
    assert len(received) == JOBS
    # Each job came out of the queue it was pushed to.
    for _, queue, job in received:
        assert queue == QUEUES[int(job.split(":")[1]) % len(QUEUES)], (queue, job)
    # Nothing is left, nobody is still waiting.
    assert admin.exists(*QUEUES) == 0
    assert admin.dbsize() == 0
    deadline_blocked = time.monotonic() + 3
    while admin.info("clients")["blocked_clients"] != 0 and time.monotonic() < deadline_blocked:
        time.sleep(0.02)
    assert admin.info("clients")["blocked_clients"] == 0
    admin.close()

"""Self-tests of Benchmarks/run's throughput bookkeeping (no servers, no
redis-benchmark): each test runs on both servers back to back, and a ratio is
the median over the rounds of those pairs, not a ratio of two medians taken
minutes apart."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import types

import pytest

from conftest import REPO_ROOT


def load_harness():
    path = str(REPO_ROOT / "Benchmarks" / "run")
    loader = importlib.machinery.SourceFileLoader("benchmarks_run", path)
    spec = importlib.util.spec_from_loader("benchmarks_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


harness = load_harness()
SWIFT, REDIS = harness.SWIFT, harness.REDIS


def run(pair, server, rps, p99=0.5, test="GET", pipeline=1):
    return {"pair": pair, "server": server, "pipeline": pipeline, "round": 0,
            "rows": {test: {"rps": rps, "p50_latency_ms": 0.2, "p99_latency_ms": p99}}}


def test_ratio_is_the_median_of_the_pairs():
    # The machine slows down between pairs: Redis's median (200) comes from a
    # slow pair and SwiftKeyDB's (110) from a fast one.  Within each pair the
    # ratios are 1.11, 0.55 and 1.07.
    runs = [run(1, SWIFT, 100), run(1, REDIS, 90),
            run(2, REDIS, 200), run(2, SWIFT, 110),
            run(3, SWIFT, 300), run(3, REDIS, 280)]
    row = harness.summarize(runs, [1])[1]["tests"][0]
    assert row["rps_ratio"] == pytest.approx(300 / 280)
    assert sorted(row["rps_ratios"]) == pytest.approx(sorted([100 / 90, 110 / 200, 300 / 280]))
    assert row[SWIFT]["rps"] == 110 and row[REDIS]["rps"] == 200  # medians, for display


def test_a_pair_missing_a_server_is_left_out():
    runs = [run(1, SWIFT, 100, p99=0.4), run(1, REDIS, 100, p99=0.5),
            run(2, SWIFT, 500, p99=0.1)]  # its Redis run failed
    row = harness.summarize(runs, [1])[1]["tests"][0]
    assert row["rps_ratios"] == [1.0]
    assert row["p99_ratio"] == pytest.approx(0.8)


def test_each_test_runs_on_both_servers_back_to_back_in_alternating_order(monkeypatch):
    calls = []

    def fake_benchmark(cmd, timeout):
        port = int(cmd[cmd.index("-p") + 1])
        test = cmd[cmd.index("-t") + 1]
        calls.append((port, test, cmd[cmd.index("-P") + 1]))
        return {"cmd": cmd, "rc": 0, "elapsed_s": 0.0, "rows": {test.upper(): {"rps": 1.0}},
                "stdout": "", "stderr": "", "warnings": [], "errors": []}

    monkeypatch.setattr(harness, "run_benchmark", fake_benchmark)
    servers = {name: types.SimpleNamespace(port=port, alive=lambda: True)
               for name, port in ((SWIFT, 1), (REDIS, 2))}
    args = harness.parse_args(["--tests", "set,get", "--rounds", "2", "--pipelines", "1,16"])
    runs = harness.run_throughput(args, servers)

    assert len(runs) == 2 * 2 * 2 * 2
    for first, second in zip(runs[0::2], runs[1::2]):
        assert first["pair"] == second["pair"]
        assert {first["server"], second["server"]} == {SWIFT, REDIS}
        assert first["cmd"][first["cmd"].index("-t"):] == second["cmd"][second["cmd"].index("-t"):]
    firsts = [r["server"] for r in runs[0::2]]
    assert firsts == [SWIFT, REDIS] * 4
    assert [c[1:] for c in calls[0::2]] == [("set", "1"), ("get", "1"), ("set", "16"), ("get", "16")] * 2

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


@pytest.fixture(autouse=True)
def pauses(monkeypatch):
    """The harness's pauses, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(harness.time, "sleep", slept.append)
    return slept


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


def fake_servers():
    return {name: types.SimpleNamespace(port=port, alive=lambda: True)
            for name, port in ((SWIFT, 1), (REDIS, 2))}


def fake_benchmark(calls, rows_for):
    def benchmark(cmd, timeout):
        calls.append(cmd)
        return {"cmd": cmd, "rc": 0, "elapsed_s": 0.0, "rows": rows_for(cmd),
                "stdout": "", "stderr": "", "warnings": [], "errors": []}
    return benchmark


def test_each_test_runs_on_both_servers_back_to_back_each_leading_in_turn(monkeypatch):
    calls = []
    test_of = lambda cmd: cmd[cmd.index("-t") + 1]
    monkeypatch.setattr(harness, "run_benchmark",
                        fake_benchmark(calls, lambda cmd: {test_of(cmd).upper(): {"rps": 1.0}}))
    args = harness.parse_args(["--tests", "set,get", "--rounds", "2", "--pipelines", "1,16"])
    runs = harness.run_throughput(args, fake_servers())

    assert len(runs) == 2 * 2 * 2 * 2
    leads = {}  # (pipeline, test) -> who led each round
    for first, second in zip(runs[0::2], runs[1::2]):
        assert first["pair"] == second["pair"]
        assert {first["server"], second["server"]} == {SWIFT, REDIS}
        assert first["cmd"][first["cmd"].index("-t"):] == second["cmd"][second["cmd"].index("-t"):]
        leads.setdefault((first["pipeline"], first["job"]), []).append(first["server"])
    # Every test, at every depth, is led by each server in turn.
    assert all(sorted(servers) == [REDIS, SWIFT] for servers in leads.values())
    # And within a round, neighbouring tests start with different servers.
    assert [r["server"] for r in runs[0:8:2]] == [SWIFT, REDIS, REDIS, SWIFT]
    assert [(test_of(c), c[c.index("-P") + 1]) for c in calls[0::2]] == \
        [("set", "1"), ("get", "1"), ("set", "16"), ("get", "16")] * 2


def test_the_lpush_every_lrange_test_runs_first_counts_once_a_round(monkeypatch):
    lpush = "LPUSH (needed to benchmark LRANGE)"
    calls = []
    monkeypatch.setattr(harness, "run_benchmark", fake_benchmark(
        calls, lambda cmd: {lpush: {"rps": 1.0}, cmd[cmd.index("-t") + 1].upper(): {"rps": 2.0}}))
    args = harness.parse_args(["--tests", "lrange_100,lrange_300", "--rounds", "3", "--pipelines", "1"])
    runs = harness.run_throughput(args, fake_servers())
    assert not any(r["errors"] for r in runs)
    for server in (SWIFT, REDIS):
        assert len(harness.median_of(runs, server, 1, lpush, "rps")[1]) == 3
        assert len(harness.median_of(runs, server, 1, "LRANGE_300", "rps")[1]) == 3


def test_a_custom_command_is_paired_too(monkeypatch):
    calls = []
    monkeypatch.setattr(harness, "run_benchmark", fake_benchmark(calls, lambda cmd: {"EVAL": {
        "rps": 1.0, "p50_latency_ms": 0.2, "p99_latency_ms": 0.5}}))
    args = harness.parse_args(["--command", "EVAL 'return 1' 0", "--rounds", "2", "--pipelines", "1"])
    runs = harness.run_throughput(args, fake_servers())
    assert [r["server"] for r in runs] == [SWIFT, REDIS, REDIS, SWIFT]
    assert not any(r["errors"] for r in runs)
    assert all(c[-3:] == ["EVAL", "return 1", "0"] and "-t" not in c for c in calls)
    summary = harness.summarize(runs, [1])[1]["tests"][0]
    assert summary["test"] == "EVAL" and summary["rps_ratio"] == 1.0


def test_every_run_waits_out_the_settle_pause_first(monkeypatch, pauses):
    # Run right after another, a run's p99 took the kernel's cleanup of the one
    # before: with Redis against itself, the first of a pair was 12-23% lower.
    paused_before = []  # pauses slept by the time each run starts
    monkeypatch.setattr(harness, "run_benchmark", fake_benchmark(
        [], lambda cmd: paused_before.append(len(pauses)) or {"GET": {"rps": 1.0}}))
    args = harness.parse_args(["--tests", "get", "--rounds", "2", "--pipelines", "1", "--settle", "0.5"])
    harness.run_throughput(args, fake_servers())
    assert paused_before == [1, 2, 3, 4]
    assert pauses == [0.5] * 4
    assert harness.parse_args([]).settle == 1.0


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_a_negative_or_nan_settle_pause_is_refused(value, capsys):
    with pytest.raises(SystemExit):
        harness.parse_args(["--settle", value])
    assert "--settle must be >= 0" in capsys.readouterr().err

@testable import KeyDBEngine
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The latency monitor's samples and the LATENCY commands over them; texts as
/// redis-server 7.0.15 writes them.
@Suite("latency monitor")
struct LatencyMonitorTests {
    static let t0: Int64 = 1_700_000_000

    private func monitor(threshold: Int = 10) -> LatencyMonitor {
        let monitor = LatencyMonitor()
        monitor.threshold = threshold
        return monitor
    }

    @Test("samples under the threshold, or with the monitor off, are not kept")
    func threshold() {
        let m = monitor(threshold: 10)
        m.record("command", milliseconds: 9, now: Self.t0)
        #expect(m.all.isEmpty)
        m.record("command", milliseconds: 10, now: Self.t0)
        #expect(m.series("command")?.history == [.init(time: Self.t0, milliseconds: 10)])
        m.threshold = 0
        m.record("fast-command", milliseconds: 500, now: Self.t0)
        #expect(m.all.map(\.event) == ["command"])
    }

    @Test("one sample per second, the worst of it; the all-time worst survives the ring")
    func samplesPerSecond() {
        let m = monitor()
        m.record("command", milliseconds: 20, now: Self.t0)
        m.record("command", milliseconds: 50, now: Self.t0)
        m.record("command", milliseconds: 30, now: Self.t0)
        m.record("command", milliseconds: 15, now: Self.t0 + 1)
        let series = m.series("command")
        #expect(series?.history.map(\.milliseconds) == [50, 15])
        #expect(series?.latest == .init(time: Self.t0 + 1, milliseconds: 15))
        #expect(series?.maximum == 50)
        // 160 seconds are kept: the oldest go first.
        for second in 2..<200 { m.record("command", milliseconds: Int64(10 + second % 7), now: Self.t0 + Int64(second)) }
        let history = m.series("command")?.history ?? []
        #expect(history.count == LatencyMonitor.historyLength)
        #expect(history.first?.time == Self.t0 + 40)
        #expect(history.last?.time == Self.t0 + 199)
        #expect(m.series("command")?.maximum == 50)
    }

    @Test("reset forgets one event in any case, or all, and counts them")
    func reset() {
        let m = monitor()
        for event in ["command", "fast-command", "expire-cycle"] { m.record(event, milliseconds: 12, now: Self.t0) }
        #expect(m.reset("nosuch") == 0)
        #expect(m.reset("COMMAND") == 1)
        #expect(m.all.map(\.event) == ["fast-command", "expire-cycle"])
        #expect(m.series("Fast-Command") == nil)  // lookups are exact, as Redis's
        #expect(m.reset() == 2)
        #expect(m.all.isEmpty)
    }

    @Test("measure records the time of its body under each event, only while the monitor is on")
    func measure() {
        let m = monitor(threshold: 1)
        let value = m.measure("aof-write-alone", "aof-write") { () -> Int in
            usleep(5_000)
            return 7
        }
        #expect(value == 7)
        #expect(m.all.map(\.event) == ["aof-write-alone", "aof-write"])
        #expect((m.series("aof-write")?.maximum ?? 0) >= 5)
        m.threshold = 0
        _ = m.measure("expire-cycle") { usleep(2_000) }
        #expect(m.series("expire-cycle") == nil)
    }

    @Test("LATENCY GRAPH draws the samples as Redis does")
    func graph() {
        let m = monitor()
        for (offset, value) in [(0, 50), (1, 10), (2, 30)] {
            m.record("command", milliseconds: Int64(value), now: Self.t0 + Int64(offset))
        }
        let text = LatencyGraph.render(event: "command", m.series("command")!, now: Self.t0 + 3)
        // Captured from redis-server 7.0.15 after DEBUG SLEEP 0.05, 0.01, 0.03 a second apart.
        #expect(text == """
            command - high 50 ms, low 10 ms (all time high 50 ms)
            --------------------------------------------------------------------------------
            #  
            | _
            | |
            |_|
               
            321
            sss

            """)
        #expect(LatencyGraph.ago(59) == "59s" && LatencyGraph.ago(60) == "1m" && LatencyGraph.ago(7200) == "2h"
                && LatencyGraph.ago(200_000) == "2d")
    }

    @Test("LATENCY GRAPH wraps after 80 samples and labels each with its age")
    func graphWraps() {
        let m = monitor()
        for second in 0..<100 { m.record("expire-cycle", milliseconds: 10 + Int64(second % 3), now: Self.t0 + Int64(second)) }
        let lines = LatencyGraph.render(event: "expire-cycle", m.series("expire-cycle")!, now: Self.t0 + 100)
            .split(separator: "\n", omittingEmptySubsequences: false)
        // Header, rule, then per block 4 chart rows, a blank row and a row per label character
        // ("1m" for ages of a minute or more, "59s" down to "21s"; then "20s" to "1s"); blocks
        // apart by an empty line.
        #expect(lines.count == 2 + 8 + 1 + 8 + 1)
        #expect(lines[2].count == 80 && lines[10] == "" && lines[11].count == 20)
        #expect(lines[6] == String(repeating: " ", count: 80))
        #expect(lines[7] == String(repeating: "1", count: 41) + "5555555555" + "4444444444" + "3333333333" + "222222222")
        #expect(lines[9] == String(repeating: " ", count: 41) + String(repeating: "s", count: 39))
        #expect(lines.last == "")
    }

    private func settings(threshold: Int = 10, slowlog: Int = 10_000, hz: Int = 10) -> LatencyDoctor.Settings {
        LatencyDoctor.Settings(latencyThreshold: threshold, slowlogThreshold: slowlog, fsyncAlways: false, hz: hz, hugePages: false)
    }

    @Test("LATENCY DOCTOR: disabled, quiet, and advice in Redis's words and order")
    func doctor() {
        #expect(LatencyDoctor.report([], settings: settings(threshold: 0), now: Self.t0).hasPrefix("I'm sorry, Dave, I can't do that."))
        #expect(LatencyDoctor.report([], settings: settings(), now: Self.t0).hasPrefix("Dave, no latency spike was observed"))
        let m = monitor()
        for (offset, value) in [(0, 50), (1, 10), (2, 30)] {
            m.record("command", milliseconds: Int64(value), now: Self.t0 + Int64(offset))
        }
        m.record("expire-cycle", milliseconds: 20, now: Self.t0)
        let report = LatencyDoctor.report(m.all, settings: settings(), now: Self.t0 + 3)
        #expect(report == """
            Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

            1. command: 3 latency spikes (average 30ms, mean deviation 13ms, period 1.00 sec). Worst all time event 50ms.
            2. expire-cycle: 1 latency spikes (average 20ms, mean deviation 0ms, period 3.00 sec). Worst all time event 20ms.

            I have a few advices for you:

            - Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
            - In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.
            - Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.

            """)
        // A slow log logging less than the monitor sees, or off, is called out; hz 100 needs no advice.
        let tuned = LatencyDoctor.report(m.all, settings: settings(threshold: 5, slowlog: 10_000, hz: 100), now: Self.t0 + 3)
        #expect(tuned.contains("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 5000'.\n"))
        #expect(!tuned.contains("'hz'"))
        let off = LatencyDoctor.report(m.all, settings: settings(slowlog: -1), now: Self.t0 + 3)
        #expect(off.contains("Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 10000'."))
        // An event without advice of its own.
        let other = monitor()
        other.record("command-unblocking", milliseconds: 11, now: Self.t0)
        #expect(LatencyDoctor.report(other.all, settings: settings(), now: Self.t0).hasSuffix(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"))
    }

    @Test("LATENCY DOCTOR: a fork event rates the last fork, and a slow one advises a faster VM first")
    func doctorJudgesForks() {
        let m = monitor()
        m.record("fork", milliseconds: 12, now: Self.t0)
        m.record("command", milliseconds: 30, now: Self.t0)
        var slow = settings()
        slow.forkRate = 0.5
        let report = LatencyDoctor.report(m.all, settings: slow, now: Self.t0 + 1)
        #expect(report.contains("1. fork: 1 latency spikes (average 12ms, mean deviation 0ms, period 1.00 sec). Worst all time event 12ms. Fork rate is 0.50 GB/sec (terrible).\n"))
        #expect(report.contains("I have a few advices for you:\n\n- If you are using a virtual machine, consider upgrading it"))
        for (rate, quality) in [(24.0, "poor"), (25.0, "good"), (100.0, "excellent")] {
            var s = settings()
            s.forkRate = rate
            let text = LatencyDoctor.report(m.all, settings: s, now: Self.t0 + 1)
            #expect(text.contains("GB/sec (\(quality)).\n"))
            #expect(text.contains("consider upgrading it") == (rate < 25))
        }
    }

    @Test("LATENCY LATEST / HISTORY / RESET / GRAPH replies, and commands slower than the threshold sampled")
    func commands() {
        let h = EngineHarness()
        h.script([
            ("LATENCY LATEST", "*0\r\n"), ("LATENCY HISTORY command", "*0\r\n"), ("LATENCY RESET", ":0\r\n"),
            ("LATENCY GRAPH command", "-ERR No samples available for event 'command'\r\n"),
            ("LATENCY HISTORY", "-ERR wrong number of arguments for 'latency|history' command\r\n"),
            ("LATENCY HELP xxx", "-ERR wrong number of arguments for 'latency|help' command\r\n"),
            ("LATENCY foo", "-ERR unknown subcommand 'foo'. Try LATENCY HELP.\r\n"),
            ("CONFIG GET latency-monitor-threshold", "*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n0\r\n"),
        ])
        h.run("DEBUG", "SLEEP", "0.01")
        #expect(h.run("LATENCY", "LATEST") == "*0\r\n")  // off by default
        h.run("CONFIG", "SET", "latency-monitor-threshold", "5")
        h.run("DEBUG", "SLEEP", "0.01")
        h.run("PING")
        let latest = h.value("LATENCY", "LATEST").array
        #expect(latest.count == 1)
        let fields = latest.first?.array ?? []
        #expect(fields.first?.string == "command")
        #expect(fields.count == 4 && (fields[1].integer ?? 0) > 1_700_000_000 && (fields[2].integer ?? 0) >= 10)
        #expect(fields[3] == fields[2])
        #expect(h.value("LATENCY", "HISTORY", "command").array.map { $0.array.count } == [2])
        #expect(h.value("LATENCY", "GRAPH", "command").string?.hasPrefix("command - high ") == true)
        #expect(h.run("LATENCY", "RESET", "nosuch", "COMMAND") == int(1))
        #expect(h.run("LATENCY", "LATEST") == "*0\r\n")
    }

    @Test("LATENCY HELP lists its subcommands under Redis's header and footer")
    func help() {
        let lines = EngineHarness().value("LATENCY", "HELP").array.compactMap(\.string)
        #expect(lines.first == "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(["DOCTOR", "GRAPH <event>", "HISTORY <event>", "LATEST", "RESET [<event> ...]", "HISTOGRAM [COMMAND ...]"]
            .allSatisfy(lines.contains))
        #expect(lines.count == 17 && lines.last == "    Prints this help.")
    }
}

@testable import KeyDBEngine
import Testing

/// Per-command latency histograms: HdrHistogram's buckets as Redis configures
/// them, LATENCY HISTOGRAM and INFO latencystats.
@Suite("latency histogram")
struct LatencyHistogramTests {
    @Test("bucket geometry: 256 unit steps, then 128 sub-buckets per power of two")
    func geometry() {
        // (value, its sub-bucket's highest value), read off Redis's replies (3 µs shows as 3.007).
        let cases: [(Int64, Int64)] = [(1, 1), (255, 255), (256, 257), (1000, 1003), (1024, 1031), (2048, 2063),
                                       (3000, 3007), (16384, 16511), (1_000_000_000, 1_002_438_655)]
        for (value, highest) in cases {
            #expect(LatencyHistogram.highestEquivalent(value) == highest, "\(value)")
            let index = LatencyHistogram.index(of: value)
            #expect(LatencyHistogram.value(at: index) <= value && LatencyHistogram.highestEquivalent(LatencyHistogram.value(at: index)) == highest)
        }
        #expect(LatencyHistogram.index(of: 1_000_000_000) < LatencyHistogram.countsLength)
        #expect(LatencyHistogram.index(of: 1 << 30) == LatencyHistogram.countsLength)
    }

    @Test("LATENCY HISTOGRAM's steps: cumulative counts at each power of two from 1 µs where they grow")
    func steps() {
        let histogram = LatencyHistogram()
        for _ in 0..<3 { histogram.record(nanoseconds: 1000) }
        histogram.record(nanoseconds: 3000)
        histogram.record(nanoseconds: 20_000)
        #expect(histogram.total == 5)
        #expect(histogram.cumulativeByPowerOfTwo.map { [$0.microseconds, $0.calls] } == [[1, 3], [4, 4], [33, 5]])
        // Clamped to 1 ns ... 1 s; the last step past a second is Redis's 1073741 µs.
        let extremes = LatencyHistogram()
        extremes.record(nanoseconds: 0)
        extremes.record(nanoseconds: 5_000_000_000)
        #expect(extremes.cumulativeByPowerOfTwo.map { [$0.microseconds, $0.calls] } == [[1, 1], [1_073_741, 2]])
    }

    @Test("percentiles as HdrHistogram reports them")
    func percentiles() {
        let histogram = LatencyHistogram()
        for micros in 1...100 { histogram.record(nanoseconds: Int64(micros) * 1000) }
        #expect(histogram.value(atPercentile: 50) == 50_175)
        #expect(histogram.value(atPercentile: 99) == 99_327)
        #expect(histogram.value(atPercentile: 100) == 100_351)
        #expect(histogram.value(atPercentile: 0) == 1000)  // the lowest value, not its sub-bucket's top
    }

    @Test("LATENCY HISTOGRAM replies: all, named, containers, unknown names skipped; RESETSTAT clears")
    func command() {
        let h = EngineHarness()
        h.run("CONFIG", "RESETSTAT")
        #expect(names(h.value("LATENCY", "HISTOGRAM")) == ["config|resetstat"])
        h.run("CONFIG", "RESETSTAT")
        h.run("SET", "a", "b")
        h.run("SET", "c", "d")
        h.run("CLIENT", "ID")
        h.run("CLIENT", "GETNAME")
        let all = h.value("LATENCY", "HISTOGRAM").array
        // In table order, subcommands after their command (Redis's is its hash table's).
        #expect(names(.array(all)) == ["client|id", "client|getname", "set", "config|resetstat"])
        let set = all[5].array
        #expect(set.count == 4 && set[0].string == "calls" && set[1].integer == 2 && set[2].string == "histogram_usec")
        let steps = set[3].array.compactMap(\.integer)
        #expect(steps.count >= 2 && steps.count % 2 == 0 && steps.last == 2)
        #expect(names(h.value("LATENCY", "HISTOGRAM", "client")) == ["client|id", "client|getname"])
        #expect(names(h.value("LATENCY", "HISTOGRAM", "CLIENT|ID", "blabla", "get", "set|x", "set")) == ["client|id", "set"])
        #expect(h.run("LATENCY", "HISTOGRAM", "blabla") == "*0\r\n")
        h.run("CONFIG", "SET", "latency-tracking", "no")
        h.run("CONFIG", "RESETSTAT")
        h.run("GET", "a")
        #expect(h.run("LATENCY", "HISTOGRAM") == "*0\r\n")
    }

    @Test("INFO latencystats: one line per measured command with the configured percentiles")
    func info() {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.9 100")
        h.run("CONFIG", "RESETSTAT")
        h.run("PING")
        let text = h.value("INFO", "latencystats").string ?? ""
        let lines = text.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "# Latencystats")
        #expect(lines.count == 3)
        let ping = lines.first { $0.hasPrefix("latency_percentiles_usec_ping:") } ?? ""
        #expect(ping.wholeMatch(of: try! Regex(#"latency_percentiles_usec_ping:p50=\d+\.\d{3},p99\.9=\d+\.\d{3},p100=\d+\.\d{3}"#)) != nil, "\(ping)")
        #expect(lines.contains { $0.hasPrefix("latency_percentiles_usec_config|resetstat:p50=") })
        h.run("CONFIG", "SET", "latency-tracking", "no")
        #expect(h.value("INFO", "latencystats").string == "# Latencystats\r\n")
        // Only with INFO all / everything / latencystats, between errorstats and cluster.
        #expect(h.value("INFO").string?.contains("# Latencystats") == false)
        let everything = h.value("INFO", "everything").string ?? ""
        let order = ["# Commandstats", "# Errorstats", "# Latencystats", "# Cluster"].map { everything.firstRange(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order.map { $0! } == order.map { $0! }.sorted())
    }

    @Test("the percentile option: Redis's parsing, printing and errors")
    func percentileOption() {
        let h = EngineHarness()
        let failed = "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - "
        h.script([
            ("CONFIG GET latency-tracking-info-percentiles", "*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$10\r\n50 99 99.9\r\n"),
            ("CONFIG SET latency-tracking-info-percentiles \"50 abc\"", failed + "Invalid latency-tracking-info-percentiles parameters\r\n"),
            ("CONFIG SET latency-tracking-info-percentiles \"50 101\"", failed + "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n"),
            ("CONFIG SET latency-tracking-info-percentiles \"99.90000 1e1 0x10\"", ok),
            ("CONFIG GET latency-tracking-info-percentiles", "*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$10\r\n99.9 10 16\r\n"),
            ("CONFIG SET latency-tracking-info-percentiles \"\"", ok),
            ("CONFIG GET latency-tracking-info-percentiles", "*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$0\r\n\r\n"),
            ("CONFIG GET latency-tracking", "*2\r\n$16\r\nlatency-tracking\r\n$3\r\nyes\r\n"),
        ])
    }

    /// The command names of a LATENCY HISTOGRAM reply, in order.
    private func names(_ reply: RESPValue) -> [String] {
        let items = reply.array
        return stride(from: 0, to: items.count, by: 2).compactMap { items[$0].string }
    }
}

import KeyDBRESP

/// LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP.
enum LatencyCommand {
    /// Each event: name, time and latency of its newest sample, and its worst ever.
    static func latest(_ c: ClientSession, _ args: Arguments) {
        let events = c.engine.latency.all
        c.reply.writeArrayHeader(events.count)
        for (event, series) in events {
            c.reply.writeArrayHeader(4)
            c.reply.writeBulk(event)
            c.reply.writeIntegerReply(series.latest.time)
            c.reply.writeIntegerReply(series.latest.milliseconds)
            c.reply.writeIntegerReply(series.maximum)
        }
    }

    /// LATENCY HISTORY event: its [time, latency] samples, oldest first.
    static func history(_ c: ClientSession, _ args: Arguments) {
        let samples = c.engine.latency.series(args.string(2))?.history ?? []
        c.reply.writeArrayHeader(samples.count)
        for sample in samples {
            c.reply.writeArrayHeader(2)
            c.reply.writeIntegerReply(sample.time)
            c.reply.writeIntegerReply(sample.milliseconds)
        }
    }

    /// LATENCY RESET [event ...]: how many events were forgotten.
    static func reset(_ c: ClientSession, _ args: Arguments) {
        let latency = c.engine.latency
        guard args.count > 2 else { return c.reply.writeIntegerReply(latency.reset()) }
        c.reply.writeIntegerReply((2..<args.count).reduce(0) { $0 + latency.reset(args.string($1)) })
    }

    static func graph(_ c: ClientSession, _ args: Arguments) {
        let event = args.string(2)
        guard let series = c.engine.latency.series(event) else {
            return c.replyError(bytes: ErrorReply.latencyNoSamples(args[2]))
        }
        c.replyVerbatim(LatencyGraph.render(event: event, series, now: c.now / 1000))
    }

    static func doctor(_ c: ClientSession, _ args: Arguments) {
        let configuration = c.engine.configuration
        let settings = LatencyDoctor.Settings(latencyThreshold: configuration.latencyMonitorThreshold,
                                              slowlogThreshold: configuration.slowlogLogSlowerThan,
                                              fsyncAlways: configuration.appendFsync == "always", hz: configuration.hz,
                                              hugePages: LatencyDoctor.usesHugePages(), forkRate: c.engine.stats.forkRate)
        c.replyVerbatim(LatencyDoctor.report(c.engine.latency.all, settings: settings, now: c.now / 1000))
    }

    /// LATENCY HISTOGRAM [command ...]: for each command (every one that ran when none
    /// is named; a container stands for its subcommands), its calls and the
    /// cumulative counts of its latency histogram.
    static func histogram(_ c: ClientSession, _ args: Arguments) {
        let table = c.engine.commands
        var specs: [CommandSpec] = []
        if args.count == 2 {
            specs = table.allSpecs
        } else {
            for index in 2..<args.count {
                guard let spec = command(named: args[index], in: table) else { continue }
                specs += [spec] + spec.subcommands
            }
        }
        let measured = specs.compactMap { spec in spec.statistics.latencies.map { (spec.fullName, $0) } }
        c.replyMapHeader(measured.count)
        for (name, histogram) in measured {
            c.reply.writeBulk(name)
            c.replyMapHeader(2)
            c.reply.writeBulk("calls")
            c.reply.writeIntegerReply(histogram.total)
            c.reply.writeBulk("histogram_usec")
            let steps = histogram.cumulativeByPowerOfTwo
            c.replyMapHeader(steps.count)
            for step in steps {
                c.reply.writeIntegerReply(step.microseconds)
                c.reply.writeIntegerReply(step.calls)
            }
        }
    }

    /// "get" or "config|get", any case; nil for anything else (Redis's lookupCommandBySds).
    static func command(named name: UnsafeRawBufferPointer, in table: CommandTable) -> CommandSpec? {
        let parts = name.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = table.find(UnsafeRawBufferPointer(rebasing: parts[0])) else { return nil }
        if parts.count == 1 { return base }
        guard base.isContainer else { return nil }
        return table.subcommand(UnsafeRawBufferPointer(rebasing: parts[1]), of: base)
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "LATENCY", lines: [
            "DOCTOR", "    Return a human readable latency analysis report.",
            "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>", "    Return time-latency samples for the <event> class.",
            "LATEST", "    Return the latest latency samples for all events.",
            "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ])
    }
}

import KeyDBRESP
import KeyDBStorage
import NIOCore

/// XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM and XSETID (Redis's t_stream.c).
enum StreamCommands {
    /// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
    static func xadd(_ c: ClientSession, _ args: Arguments) {
        guard let options = TrimOptions.parse(c, args, forAdd: true) else { return }
        let fieldsAt = options.end + 1
        guard args.count - fieldsAt >= 2, (args.count - fieldsAt) % 2 == 0 else {
            return c.replyError(ErrorReply.wrongArity("xadd"))
        }
        if let given = options.id, given.sequenceGiven, given.id == .zero { return c.replyError(ErrorReply.streamAddZeroID) }
        let stream: StreamValue
        var created = false
        switch c.stream(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): stream = existing
        case .missing:
            if options.noMakeStream { return c.replyNull() }
            stream = StreamValue()
            created = true
        }
        if stream.lastID == .max { return c.replyError(ErrorReply.streamExhausted) }
        // `<ms>-*` after `<ms>-18446744073709551615`: Redis fails there without naming
        // a cause, and so reports it as the entry being too large.
        guard let id = nextID(stream, given: options.id, now: c.now) else {
            return c.replyError(ErrorReply.streamElementsTooLarge)
        }
        guard id > stream.lastID else { return c.replyError(ErrorReply.streamAddIDTooSmall) }
        var fields: [Bytes] = []
        fields.reserveCapacity(args.count - fieldsAt)
        var total = 0
        for index in fieldsAt..<args.count {
            total += args[index].count
            fields.append(Bytes(args[index]))
        }
        guard total <= StreamValue.listpackMaxSize else { return c.replyError(ErrorReply.streamElementsTooLarge) }
        if created { c.db.set(args[1], .stream(stream), now: c.now) }
        stream.append(id, fields: fields, limits: c.engine.configuration.streamNodeLimits)
        c.reply.writeBulk(id)
        c.dirty()
        c.notify(.stream, "xadd", args[1])
        if let strategy = options.strategy, stream.trim(strategy, approximate: options.approximate, limit: options.limit) > 0 {
            c.notify(.stream, "xtrim", args[1])
        }
        let idChosen = options.id == nil || options.id?.sequenceGiven == false
        if idChosen || options.approximate {
            c.propagate(args) { index, buffer in
                if idChosen && index == options.end {
                    buffer.writeBulk(id)
                    return true
                }
                return options.approximate && options.rewriteTrim(index, stream, &buffer)
            }
        }
        // Clients blocked in XREAD on this stream can now be served.
        c.db.signalKeyAdded(args[1])
    }

    /// The ID XADD gives a new entry: the next after the last, or the one given
    /// (with the sequence picked when given as `<ms>-*`). Nil when `<ms>-*` has no
    /// sequence left; the caller checks that the ID is past the last.
    private static func nextID(_ stream: StreamValue, given: StreamIDText.Parsed?, now: Int64) -> StreamID? {
        guard let given else {
            let ms = UInt64(max(0, now))
            if ms > stream.lastID.ms { return StreamID(ms: ms, seq: 0) }
            return stream.lastID.successor
        }
        if given.sequenceGiven { return given.id }
        if given.id.ms == stream.lastID.ms {
            guard stream.lastID.seq < .max else { return nil }
            return StreamID(ms: given.id.ms, seq: stream.lastID.seq + 1)
        }
        return given.id
    }

    static func xlen(_ c: ClientSession, _ args: Arguments) {
        switch c.stream(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let stream): c.reply.writeIntegerReply(stream.length)
        }
    }

    static func xrange(_ c: ClientSession, _ args: Arguments) { range(c, args, reverse: false) }
    static func xrevrange(_ c: ClientSession, _ args: Arguments) { range(c, args, reverse: true) }

    /// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
    private static func range(_ c: ClientSession, _ args: Arguments, reverse: Bool) {
        guard let bounds = parseInterval(c, start: args[reverse ? 3 : 2], end: args[reverse ? 2 : 3]) else { return }
        var count = -1
        var index = 4
        while index < args.count {
            guard args.matches(index, "count"), index + 1 < args.count else { return c.replyError(ErrorReply.syntax) }
            guard let n = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
            count = n < 0 ? 0 : Int(clamping: n)
            index += 2
        }
        let stream: StreamValue
        switch c.stream(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeArrayHeader(0)
        case .found(let found): stream = found
        }
        if count == 0 { return c.replyNullArray() }
        var entries: [StreamValue.Entry] = []
        if let bounds {
            stream.forEach(in: bounds, reverse: reverse) { entry in
                entries.append(entry)
                return count < 0 || entries.count < count
            }
        }
        writeEntries(c, entries)
    }

    /// An interval's bounds, `(` making either exclusive; nil inside when it is empty
    /// (an exclusive bound past the last or first ID is refused as Redis refuses it).
    static func parseInterval(_ c: ClientSession, start: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer) -> ClosedRange<StreamID>?? {
        guard let lower = bound(c, start, missingSequence: 0, exclusive: \.successor, ErrorReply.streamInvalidStart),
              let upper = bound(c, end, missingSequence: .max, exclusive: \.predecessor, ErrorReply.streamInvalidEnd) else { return nil }
        return .some(lower <= upper ? lower...upper : nil)
    }

    /// One bound; an exclusive one moves to its neighbour (`exclusive`), `refusal` when there is none.
    private static func bound(_ c: ClientSession, _ text: UnsafeRawBufferPointer, missingSequence: UInt64,
                              exclusive neighbour: KeyPath<StreamID, StreamID?>, _ refusal: String) -> StreamID? {
        guard let parsed = StreamIDText.parseBound(text, missingSequence: missingSequence) else {
            c.replyError(ErrorReply.streamInvalidID)
            return nil
        }
        guard parsed.exclusive else { return parsed.id }
        guard let moved = parsed.id[keyPath: neighbour] else {
            c.replyError(refusal)
            return nil
        }
        return moved
    }

    /// Entries as [id, [field, value, ...]] pairs.
    static func writeEntries(_ c: ClientSession, _ entries: [StreamValue.Entry]) {
        c.reply.writeArrayHeader(entries.count)
        for entry in entries { writeEntry(c, entry) }
    }

    static func writeEntry(_ c: ClientSession, _ entry: StreamValue.Entry) {
        c.reply.writeArrayHeader(2)
        c.reply.writeBulk(entry.id)
        c.reply.writeArrayHeader(entry.fields.count)
        for field in entry.fields { c.replyBulk(field) }
    }

    /// XDEL key id [id ...]
    static func xdel(_ c: ClientSession, _ args: Arguments) {
        let stream: StreamValue
        switch c.stream(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeIntegerReply(0)
        case .found(let found): stream = found
        }
        // Every ID is checked before any is deleted.
        var ids: [StreamID] = []
        for index in 2..<args.count {
            guard let parsed = StreamIDText.parse(args[index], strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
            ids.append(parsed.id)
        }
        var deleted = 0
        var firstDeleted = false
        for id in ids where stream.delete(id) {
            if id == stream.firstID { firstDeleted = true }
            if id > stream.maxDeletedID { stream.maxDeletedID = id }
            deleted += 1
        }
        if deleted > 0 {
            if stream.length == 0 { stream.firstID = .zero } else if firstDeleted { stream.refreshFirstID() }
            c.touch(args[1])
            c.notify(.stream, "xdel", args[1])
            c.dirty(deleted)
        }
        c.reply.writeIntegerReply(deleted)
    }

    /// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
    static func xtrim(_ c: ClientSession, _ args: Arguments) {
        guard let options = TrimOptions.parse(c, args, forAdd: false), let strategy = options.strategy else { return }
        let stream: StreamValue
        switch c.stream(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeIntegerReply(0)
        case .found(let found): stream = found
        }
        let deleted = stream.trim(strategy, approximate: options.approximate, limit: options.limit)
        if deleted > 0 {
            c.notify(.stream, "xtrim", args[1])
            if options.approximate {
                c.propagate(args) { index, buffer in options.rewriteTrim(index, stream, &buffer) }
            }
            c.touch(args[1])
            c.dirty(deleted)
        }
        c.reply.writeIntegerReply(deleted)
    }

    /// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
    static func xsetid(_ c: ClientSession, _ args: Arguments) {
        guard let id = StreamIDText.parse(args[2], strict: true)?.id else { return c.replyError(ErrorReply.streamInvalidID) }
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var index = 3
        while index < args.count {
            let more = index + 1 < args.count
            if args.matches(index, "entriesadded") && more {
                guard let n = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard n >= 0 else { return c.replyError(ErrorReply.streamEntriesAddedNegative) }
                entriesAdded = n
            } else if args.matches(index, "maxdeletedid") && more {
                guard let parsed = StreamIDText.parse(args[index + 1], strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
                guard parsed.id <= id else { return c.replyError(ErrorReply.streamSetIDBelowMaxDeleted) }
                maxDeleted = parsed.id
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 2
        }
        let stream: StreamValue
        switch c.stream(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.replyError(ErrorReply.noSuchKey)
        case .found(let found): stream = found
        }
        if stream.length > 0 {
            if let top = stream.edgeID(last: true), id < top { return c.replyError(ErrorReply.streamSetIDBelowTop) }
            if entriesAdded != -1 && Int64(stream.length) > entriesAdded { return c.replyError(ErrorReply.streamEntriesAddedBelowLength) }
        }
        stream.lastID = id
        if entriesAdded != -1 { stream.entriesAdded = UInt64(entriesAdded) }
        if maxDeleted != .zero { stream.maxDeletedID = maxDeleted }
        c.replyOK()
        c.dirty()
        c.notify(.stream, "xsetid", args[1])
    }
}

/// XADD's and XTRIM's options (Redis's streamParseAddOrTrimArgsOrReply).
struct TrimOptions {
    var strategy: StreamValue.TrimStrategy?
    var approximate = false
    var limit = 0
    /// The argument index of the threshold (MAXLEN's length, MINID's ID).
    var thresholdAt = 0
    var noMakeStream = false
    /// XADD's ID, nil for `*`.
    var id: StreamIDText.Parsed?
    /// Where parsing stopped: XADD's ID (or `*`).
    var end = 0

    static func parse(_ c: ClientSession, _ args: Arguments, forAdd: Bool) -> TrimOptions? {
        var options = TrimOptions()
        var limitGiven = false
        var index = 2
        func fail(_ text: String) -> TrimOptions? {
            c.replyError(text)
            return nil
        }
        while index < args.count {
            let more = args.count - 1 - index
            let option = args[index]
            if forAdd && option.count == 1 && option[0] == UInt8(ascii: "*") {
                break
            } else if (args.matches(index, "maxlen") || args.matches(index, "minid")) && more > 0 {
                guard options.strategy == nil else { return fail(ErrorReply.streamMaxLenAndMinID) }
                let byLength = args.matches(index, "maxlen")
                options.approximate = false
                let next = args[index + 1]
                if more >= 2 && next.count == 1 && (next[0] == UInt8(ascii: "~") || next[0] == UInt8(ascii: "=")) {
                    options.approximate = next[0] == UInt8(ascii: "~")
                    index += 1
                }
                if byLength {
                    guard let n = args.int64(index + 1) else { return fail(ErrorReply.notInteger) }
                    guard n >= 0 else { return fail(ErrorReply.streamNegativeMaxLen) }
                    options.strategy = .maxLength(Int(clamping: n))
                } else {
                    guard let parsed = StreamIDText.parse(args[index + 1], strict: true) else { return fail(ErrorReply.streamInvalidID) }
                    options.strategy = .minID(parsed.id)
                }
                index += 1
                options.thresholdAt = index
            } else if args.matches(index, "limit") && more > 0 {
                guard let n = args.int64(index + 1) else { return fail(ErrorReply.notInteger) }
                guard n >= 0 else { return fail(ErrorReply.streamNegativeLimit) }
                options.limit = Int(clamping: n)
                limitGiven = true
                index += 1
            } else if forAdd && args.matches(index, "nomkstream") {
                options.noMakeStream = true
            } else if forAdd {
                guard let parsed = StreamIDText.parse(option, strict: true, allowAutoSequence: true) else {
                    return fail(ErrorReply.streamInvalidID)
                }
                options.id = parsed
                break
            } else {
                return fail(ErrorReply.syntax)
            }
            index += 1
        }
        options.end = index
        if options.limit > 0 && options.strategy == nil { return fail(ErrorReply.streamLimitWithoutStrategy) }
        if !forAdd && options.strategy == nil { return fail(ErrorReply.streamTrimWithoutStrategy) }
        if c.engine.loading {
            // Replaying the log: the record says exactly what to trim.
            options.limit = 0
        } else if limitGiven {
            guard options.approximate else { return fail(ErrorReply.streamLimitWithoutApproximation) }
        } else if options.approximate {
            let nodeEntries = c.engine.configuration.streamNodeMaxEntries
            let limit = nodeEntries > Int.max / 100 ? Int.max : 100 * nodeEntries
            options.limit = limit <= 0 ? 10_000 : min(limit, 1_000_000)
        } else {
            options.limit = 0
        }
        return options
    }

    /// What the log records for an inexact trim: the exact threshold it reached
    /// (`=` and the stream's length, or its first ID), so replay trims the same entries.
    func rewriteTrim(_ index: Int, _ stream: StreamValue, _ buffer: inout ByteBuffer) -> Bool {
        if index == thresholdAt - 1 {
            buffer.writeBulk("=")
        } else if index == thresholdAt, case .maxLength? = strategy {
            buffer.writeBulkDecimal(Int64(stream.length))
        } else if index == thresholdAt, case .minID? = strategy {
            // Redis writes the first entry, deleted or not, or the largest ID when none is left.
            buffer.writeBulk(stream.nodes.first?.master ?? .max)
        } else {
            return false
        }
        return true
    }
}

extension Configuration {
    var streamNodeLimits: StreamValue.NodeLimits {
        StreamValue.NodeLimits(maxBytes: streamNodeMaxBytes, maxEntries: streamNodeMaxEntries)
    }
}

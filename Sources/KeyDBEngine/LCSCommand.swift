import KeyDBRESP

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
/// common subsequence of two strings, by the classic dynamic-programming table.
enum LCSCommand {
    static func lcs(_ c: ClientSession, _ args: Arguments) {
        let first = c.lookupRead(args[1]), second = c.lookupRead(args[2])
        var strings: [[UInt8]] = []
        for value in [first, second] {
            switch value {
            case .none: strings.append([])
            case .string(let bytes)?: strings.append(bytes.array)
            case .some: return c.replyError(ErrorReply.lcsNotStrings)
            }
        }
        var wantLength = false, wantIndexes = false, withMatchLength = false
        var minimumMatch: Int64 = 0
        var index = 3
        while index < args.count {
            if args.matches(index, "idx") {
                wantIndexes = true
            } else if args.matches(index, "len") {
                wantLength = true
            } else if args.matches(index, "withmatchlen") {
                withMatchLength = true
            } else if args.matches(index, "minmatchlen") && index + 1 < args.count {
                guard let value = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                minimumMatch = max(0, value)
                index += 1
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        if wantLength && wantIndexes { return c.replyError(ErrorReply.lcsLengthAndIndexes) }

        let a = strings[0], b = strings[1]
        let width = b.count + 1
        let (cells, overflow) = (a.count + 1).multipliedReportingOverflow(by: width)
        guard !overflow, cells * 4 <= c.engine.protoMaxBulkLength else {
            return c.replyError(ErrorReply.lcsTooMuchMemory)
        }
        // table[i * width + j]: LCS length of a[0..<i] and b[0..<j].
        var table = [UInt32](repeating: 0, count: cells)
        if !a.isEmpty && !b.isEmpty {
            for i in 1...a.count {
                for j in 1...b.count {
                    table[i * width + j] = a[i - 1] == b[j - 1]
                        ? table[(i - 1) * width + j - 1] + 1
                        : max(table[(i - 1) * width + j], table[i * width + j - 1])
                }
            }
        }
        let length = Int(table[a.count * width + b.count])
        if wantLength && !wantIndexes { return c.reply.writeIntegerReply(length) }

        // Walk back from the end, collecting the subsequence and its matching ranges.
        var result = [UInt8](repeating: 0, count: length)
        var ranges: [(a: (Int, Int), b: (Int, Int))] = []
        var remaining = length
        var i = a.count, j = b.count
        var current: (aStart: Int, aEnd: Int, bStart: Int, bEnd: Int)? = nil
        while i > 0 && j > 0 {
            var emit = false
            if a[i - 1] == b[j - 1] {
                result[remaining - 1] = a[i - 1]
                if let range = current {
                    if range.aStart == i && range.bStart == j {
                        current = (range.aStart - 1, range.aEnd, range.bStart - 1, range.bEnd)
                    } else {
                        emit = true
                    }
                } else {
                    current = (i - 1, i - 1, j - 1, j - 1)
                }
                if let range = current, range.aStart == 0 || range.bStart == 0 { emit = true }
                remaining -= 1
                i -= 1
                j -= 1
            } else {
                if table[(i - 1) * width + j] > table[i * width + j - 1] { i -= 1 } else { j -= 1 }
                if current != nil { emit = true }
            }
            if emit, let range = current {
                if minimumMatch == 0 || Int64(range.aEnd - range.aStart + 1) >= minimumMatch {
                    ranges.append(((range.aStart, range.aEnd), (range.bStart, range.bEnd)))
                }
                current = nil
            }
        }

        guard wantIndexes else { return c.reply.writeBulk(result) }
        c.replyMapHeader(2)
        c.reply.writeBulk("matches")
        c.reply.writeArrayHeader(ranges.count)
        for range in ranges {
            c.reply.writeArrayHeader(withMatchLength ? 3 : 2)
            for (start, end) in [range.a, range.b] {
                c.reply.writeArrayHeader(2)
                c.reply.writeIntegerReply(start)
                c.reply.writeIntegerReply(end)
            }
            if withMatchLength { c.reply.writeIntegerReply(range.a.1 - range.a.0 + 1) }
        }
        c.reply.writeBulk("len")
        c.reply.writeIntegerReply(length)
    }
}

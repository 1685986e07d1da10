/// Splits an inline request line into arguments with Redis's quoting rules
/// (`sdssplitargs`): blanks separate arguments; `"..."` understands `\n`,
/// `\r`, `\t`, `\b`, `\a`, `\xHH` and `\<any>`; `'...'` is literal except
/// `\'`; a closing quote must be followed by a blank or the end of line.
public struct InlineSplitter {
    /// Decoded argument bytes; `spans` point into it.
    public private(set) var storage: [UInt8] = []
    public private(set) var spans: [ArgumentSpan] = []

    public init() {}

    /// Splits `line`; returns false for unbalanced quotes.
    public mutating func split(_ line: UnsafeRawBufferPointer) -> Bool {
        storage.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        // Redis splits a C string: a NUL byte ends the line.
        let end = line.firstIndex(of: 0) ?? line.count
        var p = 0
        func at(_ i: Int) -> UInt8 { i < end ? line[i] : 0 }

        while true {
            while p < end && isBlank(line[p]) { p += 1 }
            if p >= end { return true }
            let tokenStart = storage.count
            var inDouble = false, inSingle = false, done = false
            while !done {
                let c = at(p)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "x"),
                       let high = hexValue(at(p + 2)), let low = hexValue(at(p + 3)) {
                        storage.append(high << 4 | low)
                        p += 3
                    } else if c == UInt8(ascii: "\\") && at(p + 1) != 0 {
                        p += 1
                        storage.append(unescaped(at(p)))
                    } else if c == UInt8(ascii: "\"") {
                        if at(p + 1) != 0 && !isBlank(at(p + 1)) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        storage.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "'") {
                        p += 1
                        storage.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if at(p + 1) != 0 && !isBlank(at(p + 1)) { return false }
                        done = true
                    } else if c == 0 {
                        return false
                    } else {
                        storage.append(c)
                    }
                } else {
                    switch c {
                    case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), 0:
                        done = true
                    case UInt8(ascii: "\""):
                        inDouble = true
                    case UInt8(ascii: "'"):
                        inSingle = true
                    default:
                        storage.append(c)
                    }
                }
                if c != 0 { p += 1 }
            }
            spans.append(ArgumentSpan(offset: tokenStart, count: storage.count - tokenStart))
        }
    }

    /// C's `isspace`.
    private func isBlank(_ c: UInt8) -> Bool {
        c == 32 || (c >= 9 && c <= 13)
    }

    private func unescaped(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "n"): return 10
        case UInt8(ascii: "r"): return 13
        case UInt8(ascii: "t"): return 9
        case UInt8(ascii: "b"): return 8
        case UInt8(ascii: "a"): return 7
        default: return c
        }
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
        default: return nil
        }
    }
}

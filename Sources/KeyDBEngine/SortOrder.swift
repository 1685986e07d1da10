#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How SORT orders its elements (Redis's sortCompare and the scores it compares).
extension SortCommand {
    /// One element to sort with what it is compared by.
    struct Item {
        let element: Bytes
        var score: Double = 0
        /// ALPHA BY: the value the pattern named (nil: missing, sorts first).
        var collated: Bytes? = nil
    }

    /// A value read as a number the way SORT reads it: C's strtod on the bytes up to
    /// any NUL, with nothing left over; out of range or NaN is an error. Unlike
    /// arguments, leading blanks and "" (0) are accepted.
    static func sortScore(_ bytes: Bytes) -> Double? {
        let text = bytes.array.prefix { $0 != 0 }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer -> Double? in
            var i = 0
            for byte in text {
                buffer[i] = CChar(bitPattern: byte)
                i += 1
            }
            buffer[i] = 0
            errno = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end.pointee == 0, errno != ERANGE, !value.isNaN else { return nil }
            return value
        }
    }

    /// Redis's sortCompare: numbers, ties broken by the elements' bytes; or ALPHA,
    /// by the pattern's values (missing first) or the elements. Without STORE, ALPHA
    /// compares as strcoll does in the C locale: up to the first NUL byte.
    static func comparator(_ options: Options) -> (Item, Item) -> Int {
        let sign = options.descending ? -1 : 1
        let binary = options.store != nil
        let collate: (Bytes, Bytes) -> Int = { binary ? binaryCompare($0, $1) : cStringCompare($0, $1) }
        if !options.alpha {
            return { a, b in
                sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.element, b.element))
            }
        }
        if options.by != nil {
            return { a, b in
                switch (a.collated, b.collated) {
                case (nil, nil): return 0
                case (nil, _): return -sign
                case (_, nil): return sign
                case let (x?, y?): return sign * collate(x, y)
                }
            }
        }
        return { a, b in sign * collate(a.element, b.element) }
    }

    /// memcmp over the common length, then the shorter first (compareStringObjects).
    private static func binaryCompare(_ a: Bytes, _ b: Bytes) -> Int {
        a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                let common = min(x.count, y.count)
                if common > 0 {
                    let result = memcmp(x.baseAddress!, y.baseAddress!, common)
                    if result != 0 { return result < 0 ? -1 : 1 }
                }
                return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
            }
        }
    }

    private static func cStringCompare(_ a: Bytes, _ b: Bytes) -> Int {
        let x = a.array.prefix { $0 != 0 }
        let y = b.array.prefix { $0 != 0 }
        return binaryCompare(Bytes(x), Bytes(y))
    }
}

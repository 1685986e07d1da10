/// Redis's glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
/// Used by KEYS, SCAN MATCH and CONFIG GET.
public enum GlobPattern {
    public static func matches(_ pattern: UnsafeRawBufferPointer, _ string: UnsafeRawBufferPointer, ignoringCase: Bool = false) -> Bool {
        var skipLongerMatches = false
        return match(pattern, 0, string, 0, ignoringCase, &skipLongerMatches)
    }

    public static func matches(_ pattern: String, _ string: String, ignoringCase: Bool = false) -> Bool {
        var pattern = pattern, string = string
        return pattern.withUTF8 { p in string.withUTF8 { s in matches(UnsafeRawBufferPointer(p), UnsafeRawBufferPointer(s), ignoringCase: ignoringCase) } }
    }

    private static func match(_ pattern: UnsafeRawBufferPointer, _ pStart: Int, _ string: UnsafeRawBufferPointer, _ sStart: Int,
                              _ nocase: Bool, _ skipLongerMatches: inout Bool) -> Bool {
        var p = pStart, s = sStart
        // Past-the-end reads see 0, like the C string's terminator.
        func pat(_ i: Int) -> UInt8 { i < pattern.count ? pattern[i] : 0 }
        func fold(_ c: UInt8) -> UInt8 { nocase && c &- 65 < 26 ? c | 0x20 : c }

        while p < pattern.count && s < string.count {
            switch pattern[p] {
            case UInt8(ascii: "*"):
                while p + 1 < pattern.count && pattern[p + 1] == UInt8(ascii: "*") { p += 1 }
                if p + 1 == pattern.count { return true }
                while s < string.count {
                    if match(pattern, p + 1, string, s, nocase, &skipLongerMatches) { return true }
                    if skipLongerMatches { return false }
                    s += 1
                }
                // No later start matches the rest: longer matches for earlier '*' cannot either.
                skipLongerMatches = true
                return false
            case UInt8(ascii: "?"):
                s += 1
            case UInt8(ascii: "["):
                p += 1
                let negate = pat(p) == UInt8(ascii: "^")
                if negate { p += 1 }
                var matched = false
                let c = string[s]
                while true {
                    if pat(p) == UInt8(ascii: "\\") && pattern.count - p >= 2 {
                        p += 1
                        if pattern[p] == c { matched = true }
                    } else if pat(p) == UInt8(ascii: "]") {
                        break
                    } else if p >= pattern.count {
                        p -= 1
                        break
                    } else if pattern.count - p >= 3 && pattern[p + 1] == UInt8(ascii: "-") {
                        var low = pattern[p], high = pattern[p + 2]
                        if low > high { swap(&low, &high) }
                        let folded = fold(c)
                        if folded >= fold(low) && folded <= fold(high) { matched = true }
                        p += 2
                    } else if fold(pattern[p]) == fold(c) {
                        matched = true
                    }
                    p += 1
                }
                if negate { matched.toggle() }
                if !matched { return false }
                s += 1
            case UInt8(ascii: "\\"):
                if pattern.count - p >= 2 { p += 1 }
                if fold(pattern[p]) != fold(string[s]) { return false }
                s += 1
            default:
                if fold(pattern[p]) != fold(string[s]) { return false }
                s += 1
            }
            p += 1
            if s == string.count {
                while pat(p) == UInt8(ascii: "*") { p += 1 }
                break
            }
        }
        return p >= pattern.count && s == string.count
    }
}

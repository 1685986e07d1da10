import KeyDBEngine
import Testing

/// `stringmatchlen`. Each case was checked against redis-server 7.0.15 with
/// `SET <string> 1` + `KEYS <pattern>` (except `*` on the empty string: KEYS
/// special-cases the pattern `*`, while `stringmatchlen("*", "")` is 0).
@Suite("GlobPattern")
struct GlobPatternTests {
    @Test("matches", arguments: [
        ("*", "abc"), ("a*", "abc"), ("*c", "abc"), ("a*c", "ac"), ("a*c", "abbbc"), ("**", "x"), ("a**b", "ab"),
        ("?", "a"), ("a?c", "abc"), ("??", "ab"), ("*?", "a"),
        ("[a-c]", "b"), ("[a-c]", "a"), ("[a-c]", "c"), ("[abc]", "c"), ("[^a]", "b"), ("[^a-c]x", "dx"),
        ("\\*", "*"), ("\\?", "?"), ("a\\", "a\\"), ("\\", "\\"), ("[\\]]", "]"), ("[\\-]", "-"), ("[\\^]", "^"),
        ("[!a]", "!"), ("[!a]", "a"),
        ("[c-a]", "b"), ("[z-a]", "m"), ("[a-]", "_"), ("[a-]", "a"), ("[abc", "a"), ("[^", "x"),
        ("*a*b", "xaxb"), ("a*b*c", "abc"), ("a*b*c", "aXbXc"), ("h?llo", "hello"), ("h*llo", "hllo"), ("h[ae]llo", "hallo"),
        ("*[0-9]", "key9"), ("", ""), ("[a-c]*", "cat"), ("user:*:name", "user:42:name"),
    ])
    func matches(_ pattern: String, _ string: String) {
        #expect(GlobPattern.matches(pattern, string))
    }

    @Test("does not match", arguments: [
        ("*", ""), ("a*", "ABC"), ("a*c", "abcd"), ("?", ""), ("?", "ab"), ("a?c", "ac"),
        ("[a-c]", "d"), ("[abc]", "d"), ("[^a]", "a"), ("[^a-c]x", "bx"),
        ("\\*", "a"), ("\\?", "x"), ("a\\", "a"),
        ("[!a]", "b"), ("[c-a]", "d"), ("[a-]", "-"), ("[abc", "d"), ("[", "x"), ("[]", "x"), ("[]]", "]"),
        ("*a*b", "xaxbx"), ("a*b*c", "acb"), ("h[ae]llo", "hillo"), ("*[0-9]", "key"), ("", "a"), ("a", ""), ("*?", ""),
        ("user:*:name", "user:42:age"),
    ])
    func doesNotMatch(_ pattern: String, _ string: String) {
        #expect(!GlobPattern.matches(pattern, string))
    }

    @Test("ignoring case (CONFIG GET)")
    func ignoringCase() {
        #expect(GlobPattern.matches("MAXMEMORY*", "maxmemory-policy", ignoringCase: true))
        #expect(GlobPattern.matches("[A-C]x", "bX", ignoringCase: true))
        #expect(GlobPattern.matches("h?", "HZ", ignoringCase: true))
        #expect(!GlobPattern.matches("MAXMEMORY*", "maxmemory-policy"))
    }

    @Test("binary strings")
    func binary() {
        let pattern: [UInt8] = [0, 42, 0xFF]
        let string: [UInt8] = [0, 1, 2, 0xFF]
        #expect(pattern.withUnsafeBytes { p in string.withUnsafeBytes { s in GlobPattern.matches(p, s) } })
        let other: [UInt8] = [1, 1, 2, 0xFF]
        #expect(!pattern.withUnsafeBytes { p in other.withUnsafeBytes { s in GlobPattern.matches(p, s) } })
    }

    @Test("many stars against a long non-matching string finish quickly")
    func pathological() {
        let pattern = String(repeating: "a*", count: 30) + "b"
        let string = String(repeating: "a", count: 5000)
        #expect(!GlobPattern.matches(pattern, string))
    }
}

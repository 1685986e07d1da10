import KeyDBRESP
import Testing

/// Splits `line` the way Redis's `sdssplitargs` does; nil for unbalanced quotes.
private func split(_ line: [UInt8]) -> [[UInt8]]? {
    var splitter = InlineSplitter()
    guard line.withUnsafeBytes({ splitter.split($0) }) else { return nil }
    return splitter.spans.map { Array(splitter.storage[$0.offset..<($0.offset + $0.count)]) }
}

private func split(_ line: String) -> [[UInt8]]? { split(Array(line.utf8)) }

private func words(_ items: String...) -> [[UInt8]] { items.map { Array($0.utf8) } }

/// Each case was checked against redis-server 7.0.15 by sending it as an inline `ECHO` line.
@Suite("InlineSplitter (sdssplitargs)")
struct InlineSplitterTests {
    @Test("plain words and blanks")
    func plain() {
        #expect(split("a b c") == words("a", "b", "c"))
        #expect(split("  a\t b  ") == words("a", "b"))
        #expect(split("") == [])
        #expect(split("   \t ") == [])
        #expect(split("SET key value") == words("SET", "key", "value"))
    }

    @Test("leading blanks include \\v and \\f, but only space, tab, CR, LF end an unquoted word")
    func verticalTabAndFormFeed() {
        // "ECHO \v\fa\fb\v" -> Redis echoes "a\fb\v".
        #expect(split([0x0B, 0x0C, 97, 0x0C, 98, 0x0B]) == [[97, 0x0C, 98, 0x0B]])
        #expect(split([97, 0x0B, 98]) == [[97, 0x0B, 98]])
        #expect(split([97, 13, 98, 10, 99]) == words("a", "b", "c"))
    }

    @Test("double quotes: \\xHH escapes")
    func hexEscapes() {
        #expect(split("\"a\\x41b\"") == words("aAb"))
        #expect(split("\"\\xff\\x00\"") == [[0xFF, 0x00]])
        #expect(split("\"\\x4a\\x4A\"") == words("JJ"))
        // Not two hex digits: the backslash escapes the 'x' only.
        #expect(split("\"\\x4g\"") == words("x4g"))
        #expect(split("\"\\xZZ\\x\"") == words("xZZx"))
    }

    @Test("double quotes: \\n \\r \\t \\b \\a and any other escaped byte")
    func escapes() {
        #expect(split("\"\\n\\r\\t\\b\\a\"") == [[10, 13, 9, 8, 7]])
        #expect(split("\"\\z\\\\\\\"\"") == words("z\\\""))
        #expect(split("\"a b\"") == words("a b"))
        #expect(split("\"\"") == [[]])
        #expect(split("\"\" \"\"") == [[], []])
    }

    @Test("single quotes are literal except \\'")
    func singleQuotes() {
        #expect(split("'single \\n literal'") == words("single \\n literal"))
        #expect(split("'it\\'s'") == words("it's"))
        #expect(split("'a\\\\b'") == words("a\\\\b"))
        #expect(split("'\"'") == words("\""))
        #expect(split("''") == [[]])
    }

    @Test("escapes mean nothing outside quotes")
    func unquotedBackslash() {
        #expect(split("a\\x41") == words("a\\x41"))
        #expect(split("a\\ b") == words("a\\", "b"))
    }

    @Test("a quote may open in the middle of a word")
    func quoteMidWord() {
        #expect(split("a\"b c\"") == words("ab c"))
        #expect(split("a'b'") == words("ab"))
        #expect(split("x\"\" y") == words("x", "y"))
    }

    @Test("a closing quote must be followed by a blank or the end", arguments: [
        "a\"b c\"d", "\"a\"b", "'a'b", "\"a\"'b'", "ECHO \"a\"\"b\"",
    ])
    func closingQuoteFollowedByNonBlank(_ line: String) {
        #expect(split(line) == nil)
    }

    @Test("a closing quote followed by any isspace blank is fine")
    func closingQuoteBlanks() {
        #expect(split("\"a\"\t\"b\"") == words("a", "b"))
        #expect(split([34, 97, 34, 0x0B]) == words("a"))
        #expect(split([34, 97, 34, 0x0C, 98]) == words("a", "b"))
    }

    @Test("unterminated quotes", arguments: ["\"abc", "'abc", "\"abc\\\"", "\"a\\", "x \"", "'it\\'"])
    func unterminated(_ line: String) {
        #expect(split(line) == nil)
    }

    @Test("a NUL byte ends the line")
    func nulEndsLine() {
        #expect(split([97, 32, 98, 0, 99, 32, 100]) == words("a", "b"))
        #expect(split([0, 97]) == [])
        // The line ends inside the quotes: unbalanced.
        #expect(split([34, 97, 0, 98, 34]) == nil)
        // A closing quote right before the NUL is fine.
        #expect(split([34, 97, 34, 0, 98]) == words("a"))
    }

    @Test("bytes above 0x7F are ordinary")
    func highBytes() {
        #expect(split([120, 0x80, 121, 32, 0xFF]) == [[120, 0x80, 121], [0xFF]])
    }

    @Test("the splitter is reusable: state does not leak between lines")
    func reuse() {
        var splitter = InlineSplitter()
        #expect(Array("a \"b".utf8).withUnsafeBytes { splitter.split($0) } == false)
        #expect(Array("x y".utf8).withUnsafeBytes { splitter.split($0) })
        #expect(splitter.spans.map { Array(splitter.storage[$0.offset..<($0.offset + $0.count)]) } == words("x", "y"))
    }
}

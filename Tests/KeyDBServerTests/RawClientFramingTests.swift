import KeyDBTestSupport
import Testing

// The integration tests trust RawClient to cut the byte stream into replies
// correctly; these check its framing without a server.

@Suite("RawClient RESP2 framing")
struct RawClientFramingTests {
    private func end(_ s: String) throws -> Int? {
        try RawClient.replyEnd(in: Array(s.utf8), from: 0)
    }

    @Test("complete replies of every type")
    func complete() throws {
        #expect(try end("+OK\r\n") == 5)
        #expect(try end("-ERR x\r\n") == 8)
        #expect(try end(":-12\r\n") == 6)
        #expect(try end("$3\r\nb c\r\n") == 9)
        #expect(try end("$0\r\n\r\n") == 6)
        #expect(try end("$-1\r\n") == 5)
        #expect(try end("*-1\r\n") == 5)
        #expect(try end("*0\r\n") == 4)
        #expect(try end("*2\r\n*1\r\n:1\r\n$-1\r\n+rest\r\n") == 17)
        // A bulk may contain CRLF; only the declared length counts.
        #expect(try end("$4\r\n\r\n\r\n\r\n:1\r\n") == 10)
    }

    @Test("incomplete replies need more bytes")
    func incomplete() throws {
        for s in ["", "+OK", "+OK\r", "$3\r\nb c", "$3\r\nb c\r", "*2\r\n:1\r\n", "*1\r\n*1\r\n", "$10\r\n"] {
            #expect(try end(s) == nil, "\(s.debugDescription)")
        }
    }

    @Test("garbage is rejected")
    func malformed() {
        #expect(throws: RawClientError.self) { try end("x\r\n") }
        #expect(throws: RawClientError.self) { try end("$abc\r\n") }
        #expect(throws: RawClientError.self) { try end("$1\r\nab\r\n") }
        #expect(throws: RawClientError.self) { try end("*-2\r\n") }
    }

    @Test("command encoding is RESP multibulk")
    func encoding() {
        #expect(RawClient.encodeCommand(["SET", "a", ""]) == Array("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n".utf8))
        #expect(RawClient.encodeCommand([[0, 13, 10]]) == Array("*1\r\n$3\r\n".utf8) + [0, 13, 10, 13, 10])
    }
}

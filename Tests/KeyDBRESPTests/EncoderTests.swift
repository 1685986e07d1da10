import KeyDBRESP
import NIOCore
import Testing

/// The bytes `body` writes into a fresh buffer.
private func encoded(_ body: (inout ByteBuffer) -> Void) -> [UInt8] {
    var buffer = ByteBufferAllocator().buffer(capacity: 0)
    body(&buffer)
    return Array(buffer.readableBytesView)
}

private func text(_ body: (inout ByteBuffer) -> Void) -> String {
    String(decoding: encoded(body), as: UTF8.self)
}

@Suite("RESP2 reply encoder")
struct EncoderTests {
    @Test("simple strings")
    func simpleStrings() {
        let ok: StaticString = "OK"
        #expect(text { $0.writeSimpleString(ok) } == "+OK\r\n")
        let pong: String = "PONG"
        #expect(text { $0.writeSimpleString(pong) } == "+PONG\r\n")
        let empty: String = ""
        #expect(text { $0.writeSimpleString(empty) } == "+\r\n")
    }

    @Test("errors")
    func errors() {
        #expect(text { $0.writeError("ERR syntax error") } == "-ERR syntax error\r\n")
        #expect(encoded { $0.writeError(bytes: [69, 82, 82, 32, 0xFF]) } == [45, 69, 82, 82, 32, 0xFF, 13, 10])
    }

    @Test("integers", arguments: [
        (Int64(0), ":0\r\n"), (1, ":1\r\n"), (-1, ":-1\r\n"), (9, ":9\r\n"), (10, ":10\r\n"), (-10, ":-10\r\n"),
        (1000, ":1000\r\n"), (Int64.max, ":9223372036854775807\r\n"), (Int64.min, ":-9223372036854775808\r\n"),
    ])
    func integers(_ value: Int64, _ expected: String) {
        #expect(text { $0.writeIntegerReply(value) } == expected)
        #expect(text { $0.writeIntegerReply(Int(value)) } == expected)
    }

    @Test("bulk strings")
    func bulks() {
        #expect(text { $0.writeBulk("") } == "$0\r\n\r\n")
        #expect(text { $0.writeBulk("hello") } == "$5\r\nhello\r\n")
        #expect(encoded { $0.writeBulk([0, 13, 10, 0xFF]) } == [36, 52, 13, 10, 0, 13, 10, 0xFF, 13, 10])
        #expect(encoded { buffer in [UInt8]([1, 2, 3]).withUnsafeBytes { buffer.writeBulk($0) } } == Array("$3\r\n".utf8) + [1, 2, 3, 13, 10])
        #expect(text { $0.writeBulk("héllo") } == "$6\r\nhéllo\r\n")
        let big = [UInt8](repeating: 120, count: 100_000)
        #expect(encoded { $0.writeBulk(big) } == Array("$100000\r\n".utf8) + big + [13, 10])
    }

    @Test("bulk decimals")
    func bulkDecimals() {
        #expect(text { $0.writeBulkDecimal(0) } == "$1\r\n0\r\n")
        #expect(text { $0.writeBulkDecimal(-42) } == "$3\r\n-42\r\n")
        #expect(text { $0.writeBulkDecimal(Int64.min) } == "$20\r\n-9223372036854775808\r\n")
    }

    @Test("null bulk and null array")
    func nulls() {
        #expect(text { $0.writeNullBulk() } == "$-1\r\n")
        #expect(text { $0.writeNullArray() } == "*-1\r\n")
    }

    @Test("array headers")
    func arrays() {
        #expect(text { $0.writeArrayHeader(0) } == "*0\r\n")
        #expect(text { $0.writeArrayHeader(2); $0.writeBulk("a"); $0.writeIntegerReply(1) } == "*2\r\n$1\r\na\r\n:1\r\n")
        #expect(text { $0.writeArrayHeader(1234567) } == "*1234567\r\n")
    }

    @Test("integer replies and headers for every digit count, both signs")
    func decimals() {
        var values: [Int64] = [0, Int64.max, Int64.min, Int64.min + 1, Int64.max - 1]
        var power: Int64 = 1
        for _ in 1...18 {
            values += [power, power - 1, power + 1, -power, -(power - 1), -(power + 1), 10 * power - 1, -(10 * power - 1)]
            power *= 10
        }
        values += [power, -power, power - 1]  // 10^18: 19 digits
        for value in values {
            #expect(text { $0.writeIntegerReply(value) } == ":\(value)\r\n")
            #expect(text { $0.writeHeader(UInt8(ascii: "*"), value) } == "*\(value)\r\n")
            #expect(withDecimalDigits(value) { String(decoding: $0, as: UTF8.self) } == String(value))
        }
    }

    @Test("line breaks inside an error become spaces, as Redis sends them")
    func errorLineBreaks() {
        #expect(text { $0.writeError("ERR bad '\r\n' and '\n'") } == "-ERR bad '  ' and ' '\r\n")
        #expect(text { $0.writeError(bytes: Array("ERR x\ry".utf8)) } == "-ERR x y\r\n")
    }

    @Test("replies appended to a nearly full buffer grow it")
    func growth() {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeBulk(Array(repeating: UInt8(ascii: "x"), count: 100))
        buffer.writeIntegerReply(Int64.min)
        buffer.writeSimpleString("OK")
        buffer.writeError(bytes: "ERR x".utf8)
        let expected = "$100\r\n" + String(repeating: "x", count: 100) + "\r\n:-9223372036854775808\r\n+OK\r\n-ERR x\r\n"
        #expect(buffer.readString(length: buffer.readableBytes) == expected)
    }
}

import KeyDBRESP
import NIOCore
import Testing

private func text(_ body: (inout ByteBuffer) -> Void) -> String {
    var buffer = ByteBufferAllocator().buffer(capacity: 0)
    body(&buffer)
    return String(decoding: buffer.readableBytesView, as: UTF8.self)
}

@Suite("RESP3 reply frames")
struct RESP3EncoderTests {
    @Test("null, boolean and the aggregate headers")
    func scalarsAndHeaders() {
        #expect(text { $0.writeRESP3Null() } == "_\r\n")
        #expect(text { $0.writeBoolean(true) } == "#t\r\n")
        #expect(text { $0.writeBoolean(false) } == "#f\r\n")
        #expect(text { $0.writeMapHeader(2) } == "%2\r\n")
        #expect(text { $0.writeSetHeader(0) } == "~0\r\n")
        #expect(text { $0.writePushHeader(3) } == ">3\r\n")
        #expect(text { $0.writeAttributeHeader(1) } == "|1\r\n")
    }

    @Test("doubles and big numbers carry their text as given")
    func numbers() {
        let double = Array("1.5".utf8), bigNumber = Array("1234567999999999999999999999999999999".utf8)
        #expect(text { buffer in double.withUnsafeBytes { buffer.writeDouble(text: $0) } } == ",1.5\r\n")
        #expect(text { buffer in bigNumber.withUnsafeBytes { buffer.writeBigNumber($0) } } == "(1234567999999999999999999999999999999\r\n")
    }

    @Test("a verbatim string's length counts its format and colon")
    func verbatim() {
        let body = Array("line\nnext".utf8), empty: [UInt8] = []
        #expect(text { buffer in body.withUnsafeBytes { buffer.writeVerbatim($0) } } == "=13\r\ntxt:line\nnext\r\n")
        #expect(text { buffer in empty.withUnsafeBytes { buffer.writeVerbatim($0, format: "mkd") } } == "=4\r\nmkd:\r\n")
    }
}

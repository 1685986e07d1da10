import KeyDBEngine
import KeyDBRESP

extension ClientSession {
    /// Runs one command given as words, as a connection would send it; the reply is dropped.
    func run(_ words: [String]) {
        var storage: [UInt8] = []
        var spans: [ArgumentSpan] = []
        for word in words {
            spans.append(ArgumentSpan(offset: storage.count, count: word.utf8.count))
            storage += Array(word.utf8)
        }
        storage.append(0)
        storage.withUnsafeBytes { raw in spans.withUnsafeBufferPointer { execute(Arguments(base: raw.baseAddress!, spans: $0)) } }
        reply.clear()
    }
}

import KeyDBEngine
import KeyDBRESP

extension Engine {
    /// Takes out what allocates once in a while by design, not per command, so a
    /// count over a few milliseconds does not depend on timing:
    /// - the slow log: a command the machine delays past `slowlog-log-slower-than`
    ///   is copied into it;
    /// - the clock: the LRU clock advancing (once a second) updates every
    ///   database, a loop that a debug build runs with an allocating iterator.
    func quietForCounting() {
        let now = Clock.milliseconds()
        clock = { now }
        ClientSession(engine: self).run(["CONFIG", "SET", "slowlog-log-slower-than", "-1"])
    }
}

extension ClientSession {
    /// Runs one command given as words (test setup; its allocations are not counted).
    func run(_ words: [String]) {
        var request: [UInt8] = Array("*\(words.count)\r\n".utf8)
        for word in words { request += Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8) }
        var parser = RequestParser()
        request.withUnsafeBytes { bytes in
            guard case .command = parser.parse(bytes, from: 0) else { preconditionFailure("not a command: \(words)") }
            parser.withArguments { execute(Arguments(base: bytes.baseAddress!, spans: $0)) }
        }
    }
}

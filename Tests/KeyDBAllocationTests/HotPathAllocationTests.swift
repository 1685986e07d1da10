import CMemoryAccounting
import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// Heap allocations per command on the hot path — decode, execute, encode — for
/// GET and SET, as the connection handler runs them: a pipelined batch parsed
/// straight from the receive buffer into one reply buffer. Counted, not timed,
/// so the check is exact on a noisy machine; a change that adds an allocation
/// per command fails here.
@Suite struct HotPathAllocationTests {
    static let commands = 1000

    /// `commands` requests as one receive buffer.
    static func batch(_ build: (Int) -> [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<commands {
            let words = build(index)
            bytes += Array("*\(words.count)\r\n".utf8)
            for word in words { bytes += Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8) }
        }
        return bytes
    }

    /// Runs every request in `request` and returns the allocations made meanwhile.
    static func allocations(running request: [UInt8], on session: ClientSession) -> Int {
        var parser = RequestParser()
        session.reply.clear()
        return request.withUnsafeBytes { bytes in
            allocation_counter_start()
            session.engine.beginBatch(for: session)
            var position = 0
            while position < bytes.count, case .command(let end) = parser.parse(bytes, from: position) {
                parser.withArguments { spans in
                    session.execute(Arguments(base: bytes.baseAddress!, spans: spans))
                }
                position = end
            }
            session.engine.endBatch()
            return allocation_counter_stop()
        }
    }

    /// An engine and a connection to it (sessions do not keep their engine alive).
    static func session(logging: Bool) -> (Engine, ClientSession) {
        let engine = Engine()
        engine.quietForCounting()
        if logging { engine.appendOnlyFeed = AppendOnlyFeed() }
        let session = ClientSession(engine: engine)
        session.reply.reserveCapacity(64 * 1024)
        return (engine, session)
    }

    @Test(arguments: [false, true])
    func getAndSetAllocateNothingPerCommand(logging: Bool) {
        let (engine, session) = Self.session(logging: logging)
        defer { withExtendedLifetime(engine) {} }
        let sets = Self.batch { ["SET", "key:\($0)", "value-\($0)"] }
        let gets = Self.batch { ["GET", "key:\($0)"] }
        // The first pass creates the keys (the table grows); later passes are the steady state.
        _ = Self.allocations(running: sets, on: session)
        _ = Self.allocations(running: gets, on: session)
        session.engine.appendOnlyFeed?.buffer.clear()

        let setAllocations = Self.allocations(running: sets, on: session)
        session.engine.appendOnlyFeed?.buffer.clear()
        let getAllocations = Self.allocations(running: gets, on: session)
        // Every GET found its value: the replies are the values, as bulk strings.
        let expected = (0..<Self.commands).map { "$\(("value-\($0)").utf8.count)\r\nvalue-\($0)\r\n".utf8.count }.reduce(0, +)
        #expect(session.reply.readableBytes == expected)
        #expect(setAllocations == 0, "SET allocated \(setAllocations) times for \(Self.commands) commands")
        #expect(getAllocations == 0, "GET allocated \(getAllocations) times for \(Self.commands) commands")
    }

    /// The counter sees allocations: a value too long to store inline costs one heap
    /// buffer per SET, and nothing else does.
    @Test func theCounterSeesEachHeapValue() {
        let (engine, session) = Self.session(logging: false)
        defer { withExtendedLifetime(engine) {} }
        let long = String(repeating: "x", count: 40)
        let sets = Self.batch { ["SET", "key:\($0)", long] }
        _ = Self.allocations(running: sets, on: session)
        #expect(Self.allocations(running: sets, on: session) == Self.commands)
    }
}

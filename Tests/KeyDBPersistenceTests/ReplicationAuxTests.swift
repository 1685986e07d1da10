import KeyDBEngine
@testable import KeyDBPersistence
import KeyDBStorage
import Testing

/// A snapshot's replication fields (`repl-stream-db`, `repl-id`, `repl-offset`):
/// written where there is a stream to follow the snapshot, read back at load, and
/// ignored when they make no sense (older Redis versions wrote -1s).
@Suite struct ReplicationAuxTests {
    private static let id = String(repeating: "c", count: 40)

    private static func image(aux: [(String, String)]) throws -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        var writer = RDBWriter { sink.bytes.append(contentsOf: $0) }
        try writer.writeHeader()
        for (key, value) in aux { try writer.writeAux(Array(key.utf8), Array(value.utf8)) }
        try writer.selectDatabase(0)
        try writer.writeString(key: Array("k".utf8), value: Array("v".utf8), expireAtMilliseconds: nil)
        try writer.finish()
        return sink.bytes
    }

    private static func position(_ aux: [(String, String)]) throws -> ReplicationPosition? {
        let image = try image(aux: aux)
        return try image.withUnsafeBytes {
            try Snapshot.load($0, name: "dump.rdb", into: Engine(), skipExpired: false, withKeyspace: { $0() })
        }.replication
    }

    @Test func fieldsThatMakeSenseAreReadBack() throws {
        let fields = [("repl-stream-db", "3"), ("repl-id", Self.id), ("repl-offset", "1234")]
        #expect(try Self.position(fields) == ReplicationPosition(id: Self.id, offset: 1234, database: 3))
    }

    @Test func minusOnesAndImpossibleDatabasesAreIgnored() throws {
        #expect(try Self.position([("repl-stream-db", "-1"), ("repl-id", Self.id), ("repl-offset", "10")]) == nil)
        #expect(try Self.position([("repl-stream-db", "16"), ("repl-id", Self.id), ("repl-offset", "10")]) == nil)
        #expect(try Self.position([("repl-stream-db", "0"), ("repl-id", Self.id), ("repl-offset", "-1")])?.offset == nil)
        #expect(try Self.position([("repl-stream-db", "0"), ("repl-id", "short"), ("repl-offset", "5")])?.id == nil)
        #expect(try Self.position([]) == nil)
    }

    /// A master with a backlog records its stream's position; a standalone server without one does not.
    @Test func writtenOnlyWhereAStreamFollows() throws {
        let engine = Engine()
        #expect(engine.replication.snapshotStreamDatabase(engine: engine) == nil)
        engine.replication.resumeAfterRestart(ReplicationPosition(id: Self.id, offset: 50, database: 0), expiredKeys: [], engine: engine)
        #expect(engine.replication.snapshotStreamDatabase(engine: engine) == 0)
        #expect(engine.replication.offset == 50)
    }
}

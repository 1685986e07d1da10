import Foundation
import KeyDBEngine
import KeyDBRESP
@testable import KeyDBPersistence
import Testing

/// Both base formats (commands and RDB) rebuild exactly the dataset they were written from.
@Suite struct RewriteRoundTripTests {
    /// A dataset with every type, small and large, binary names, expiry, several databases.
    static func sampleEngine() -> Engine {
        let engine = Engine()
        let session = ClientSession(engine: engine)
        session.grantFullAccess()
        func run(_ words: [String]) { session.run(words) }
        run(["SET", "plain", "value"])
        run(["SET", "number", "-12345"])
        run(["SET", "bin\0\r\nkey", "bin\0\r\nvalue"])
        run(["SET", "long", String(repeating: "abc", count: 5000)])
        run(["SET", "ttl", "v", "PXAT", "4102444800000"])
        run(["RPUSH", "list"] + (0..<300).map { "item\($0)" })
        run(["SADD", "ints"] + (0..<10).map { "\($0 * 1000)" })
        run(["SADD", "set"] + (0..<600).map { "m\($0)" })
        run(["HSET", "hash"] + (0..<200).flatMap { ["f\($0)", "v\($0)"] })
        run(["HSET", "small", "a", "1"])
        run(["ZADD", "zset", "0", "zero", "-0.5", "neg", "1e300", "huge", "inf", "top", "-inf", "bottom", "3.141592653589793", "pi"])
        run(["ZADD", "bigz"] + (0..<200).flatMap { ["\(Double($0) / 7)", "m\($0)"] })
        run(["SELECT", "15"])
        run(["SET", "elsewhere", "15"])
        return engine
    }

    /// Every key of every database as text, for comparing two engines.
    static func describe(_ engine: Engine) -> [String] {
        var lines: [String] = []
        for db in engine.keyspace.databases {
            db.forEachEntry { key, value, expireAt in
                let content: String
                switch value {
                case .string(let bytes): content = "string \(bytes.array)"
                case .list(let list): content = "list \(list.items.map(\.array))"
                case .set(let set): content = "set \(set.members.map(\.array).sorted { $0.lexicographicallyPrecedes($1) })"
                case .hash(let hash): content = "hash \(hash.fields.map { [$0.key.array, $0.value.array] }.sorted { $0[0].lexicographicallyPrecedes($1[0]) })"
                case .sortedSet(let zset):
                    var members: [String] = []
                    zset.forEachInOrder { members.append("\($0.array):\($1.bitPattern)") }
                    content = "zset \(members)"
                case .stream(let stream): content = "stream \(stream.rdbStream)"
                }
                lines.append("\(db.index) \(key.array) \(expireAt) \(content)")
            }
        }
        return lines.sorted()
    }

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "skdb-\(UUID().uuidString)-\(name)"
    }

    @Test func commandBaseReplaysToTheSameData() throws {
        let source = Self.sampleEngine()
        let path = temporaryPath("base.aof")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try BufferedFile(creating: path)
        try AOFRewriter.write(source.keyspace, functions: [], to: file)
        try file.finish()

        let target = Engine()
        let client = ClientSession(engine: target)
        client.grantFullAccess()
        let bytes = try #require(try FileIO.read(path))
        let outcome = try bytes.withUnsafeBytes {
            try AOFLoader(withKeyspace: { $0() }, engine: target, client: client).replay($0, name: path)
        }
        #expect(outcome == .complete)
        #expect(Self.describe(target) == Self.describe(source))
    }

    /// The sample dataset written as an RDB image.
    func snapshotBytes(of source: Engine) throws -> [UInt8] {
        let path = temporaryPath("dump.rdb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try BufferedFile(creating: path)
        try Snapshot.write(source, functions: source.functions.libraryCodes, to: file, aofBase: false)
        try file.finish()
        return try #require(try FileIO.read(path))
    }

    @Test func snapshotLoadsToTheSameData() throws {
        let source = Self.sampleEngine()
        let bytes = try snapshotBytes(of: source)
        let target = Engine()
        let path = "dump.rdb"
        let loaded = try bytes.withUnsafeBytes {
            try Snapshot.load($0, name: path, into: target, skipExpired: true, withKeyspace: { $0() })
        }
        #expect(loaded.expired == 0 && loaded.length == bytes.count)
        #expect(Self.describe(target) == Self.describe(source))
    }

    @Test func aCorruptSnapshotIsRefused() throws {
        var bytes = try snapshotBytes(of: Self.sampleEngine())
        bytes[bytes.count / 2] ^= 0x5a
        #expect(throws: PersistenceError.self) {
            try bytes.withUnsafeBytes { try Snapshot.load($0, name: "dump.rdb", into: Engine(), skipExpired: false, withKeyspace: { $0() }) }
        }
    }

    /// A data directory from before Redis 7: `appendonly.aof` holding an RDB preamble
    /// and then commands. It is moved into the log directory as the base and loaded whole.
    @Test func anOldStyleLogIsMigratedAndLoadedWithItsTail() throws {
        let directory = temporaryPath("old-style")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = Self.sampleEngine()
        let tail = AOFReplayTests.record("SELECT", "0") + AOFReplayTests.record("SET", "after-preamble", "yes")
        _ = FileManager.default.createFile(atPath: directory + "/appendonly.aof", contents: Data(try snapshotBytes(of: source) + Array(tail.utf8)))

        var configuration = Configuration()
        configuration.dir = directory
        configuration.savePoints = []
        let engine = Engine(configuration: configuration)
        let persistence = Persistence(engine: engine, withKeyspace: { $0() }, logNotice: { _ in }, logWarning: { _ in })
        try persistence.load()

        #expect(engine.keyspace.databases[0].count == source.keyspace.databases[0].count + 1)
        let manifest = try #require(try FileIO.read(directory + "/appendonlydir/appendonly.aof.manifest"))
        #expect(String(decoding: manifest, as: UTF8.self).hasPrefix("file appendonly.aof seq 1 type b\n"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/appendonly.aof"))
    }
}

import Foundation
import KeyDBEngine
import KeyDBRESP
@testable import KeyDBPersistence
import Testing

/// The multi-part AOF's pieces without a server: manifest text, replay, rewrite.
@Suite struct AOFManifestTests {
    @Test func readsAndWritesRedisManifestLines() throws {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\n"
            + "file appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n"
        let manifest = try AOFManifest(parsing: Array(text.utf8))
        #expect(manifest.base?.name == "appendonly.aof.2.base.rdb")
        #expect(manifest.history.map(\.sequence) == [1])
        #expect(manifest.incrementals.map(\.name) == ["appendonly.aof.3.incr.aof", "appendonly.aof.4.incr.aof"])
        #expect(String(decoding: manifest.text, as: UTF8.self) == text)
    }

    @Test func acceptsCommentsQuotesAndAnyKeyOrder() throws {
        let text = "# written by hand\ntype b seq 1 file \"my base.rdb\"\n\nfile x.aof seq 1 type i\n"
        let manifest = try AOFManifest(parsing: Array(text.utf8))
        #expect(manifest.base?.name == "my base.rdb")
        #expect(manifest.replayOrder.map(\.name) == ["my base.rdb", "x.aof"])
    }

    @Test func refusesMalformedManifests() {
        for text in ["file a seq 1\n", "file a seq x type i\n", "file a seq 1 type q\n",
                     "file a seq 1 type b\nfile b seq 2 type b\n", "file a seq 2 type i\nfile b seq 1 type i\n"] {
            #expect(throws: PersistenceError.self, "\(text)") { try AOFManifest(parsing: Array(text.utf8)) }
        }
    }

    /// Regression: after a fresh base made every incremental file history, the next
    /// incremental file took the name of the old one, which was then deleted.
    @Test func newFilesNeverReuseTheNameOfAHistoryFile() throws {
        var manifest = try AOFManifest(parsing: Array("file a.1.base.rdb seq 1 type b\nfile a.3.incr.aof seq 3 type h\nfile a.2.incr.aof seq 2 type i\n".utf8))
        manifest.install(base: .init(name: "a.2.base.rdb", sequence: manifest.nextBaseSequence, kind: .base), keeping: nil)
        #expect(manifest.incrementals.isEmpty)
        let name = manifest.addIncremental(prefix: "a")
        #expect(name == "a.4.incr.aof")
        #expect(!manifest.history.contains { $0.name == name })
        #expect(manifest.nextBaseSequence == 3)
    }

    @Test func installingABaseTurnsOlderFilesIntoHistory() {
        var manifest = AOFManifest()
        manifest.base = .init(name: "b1", sequence: 1, kind: .base)
        let first = manifest.addIncremental(prefix: "appendonly.aof")
        let second = manifest.addIncremental(prefix: "appendonly.aof")
        #expect([first, second] == ["appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"])
        manifest.install(base: .init(name: "b2", sequence: 2, kind: .base), keeping: second)
        #expect(manifest.base?.name == "b2")
        #expect(manifest.history.map(\.name) == ["appendonly.aof.1.incr.aof", "b1"])
        #expect(manifest.incrementals.map(\.name) == [second])
    }
}

@Suite struct AOFReplayTests {
    let engine = Engine()

    func replay(_ text: String) throws -> AOFLoader.Outcome {
        let client = ClientSession(engine: engine)
        client.grantFullAccess()
        let loader = AOFLoader(withKeyspace: { $0() }, engine: engine, client: client)
        return try Array(text.utf8).withUnsafeBytes { try loader.replay($0, name: "test.aof") }
    }

    func value(_ key: String, db: Int = 0) -> String? {
        guard case .string(let bytes)? = key.withCString({ pointer in
            engine.keyspace.databases[db].get(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), now: 0)
        }) else { return nil }
        return bytes.description
    }

    static func record(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    @Test func replaysRecordsThroughTheCommands() throws {
        let log = Self.record("SELECT", "2") + Self.record("SET", "a", "1") + Self.record("INCR", "a")
            + "#TS:1700000000\r\n" + Self.record("RPUSH", "l", "x")
        #expect(try replay(log) == .complete)
        #expect(value("a", db: 2) == "2")
        #expect(engine.keyspace.databases[2].count == 2)
    }

    @Test func aTornLastRecordIsReportedWithTheValidLength() throws {
        let whole = Self.record("SET", "a", "1")
        let outcome = try replay(whole + "*3\r\n$3\r\nSET\r\n$1\r\nb")
        #expect(outcome == .truncated(validLength: whole.utf8.count))
        #expect(value("a") == "1" && value("b") == nil)
    }

    @Test func anUnfinishedTransactionIsDroppedWhole() throws {
        let before = Self.record("SET", "a", "1")
        let outcome = try replay(before + Self.record("MULTI") + Self.record("SET", "b", "2") + Self.record("SET", "c", "3"))
        #expect(outcome == .truncated(validLength: before.utf8.count))
        #expect(value("a") == "1" && value("b") == nil && value("c") == nil)
        #expect(try replay(Self.record("MULTI") + Self.record("SET", "d", "4") + Self.record("EXEC")) == .complete)
        #expect(value("d") == "4")
    }

    @Test func corruptionIsRefusedWithItsOffset() {
        let good = Self.record("SET", "a", "1")
        #expect(throws: PersistenceError.self) { try replay(good + "garbage\r\n" + good) }
        do {
            _ = try replay(good + "!3\r\n")
            Issue.record("corruption was accepted")
        } catch {
            #expect("\(error)".contains("test.aof at offset \(good.utf8.count)"))
        }
    }

    @Test func unknownCommandsAndWrongArityAreRefused() {
        #expect(throws: PersistenceError.self) { try replay(Self.record("NOSUCHCOMMAND", "x")) }
        #expect(throws: PersistenceError.self) { try replay(Self.record("SET", "onlykey")) }
        #expect(throws: PersistenceError.self) { try replay(Self.record("EXEC")) }
    }

    /// Regression: replaying `PEXPIREAT k <past>` deleted k, so a later PERSIST (or a
    /// refreshed EXPIRE) in the log found nothing and the key was lost.
    @Test func anExpiryThatHasPassedSinceIsNotADeletionWhileLoading() throws {
        engine.loading = true
        let log = Self.record("SET", "k", "v") + Self.record("PEXPIREAT", "k", "1000") + Self.record("PERSIST", "k")
            + Self.record("SET", "g", "w") + Self.record("GETEX", "g", "PXAT", "1000") + Self.record("PEXPIREAT", "g", "99999999999999")
        #expect(try replay(log) == .complete)
        engine.loading = false
        // k has no expiry left, g the later one: both live now and k at any time.
        #expect(alive("k", at: .max - 1) && alive("g", at: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    func alive(_ key: String, at now: Int64) -> Bool {
        key.withCString { engine.keyspace.databases[0].lookup(UnsafeRawBufferPointer(start: $0, count: strlen($0)), now: now) != nil }
    }

    @Test func keysPastTheirTimeStayWhileLoading() throws {
        engine.loading = true
        #expect(try replay(Self.record("SET", "k", "v", "PXAT", "1000") + Self.record("APPEND", "k", "w")) == .complete)
        engine.loading = false
        #expect(engine.keyspace.databases[0].count == 1)
    }
}

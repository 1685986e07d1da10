import Foundation
import KeyDBEngine
@testable import KeyDBPersistence
import KeyDBStorage
import Testing

/// Function libraries in snapshots and rewritten logs: written before the keys, read
/// back through FUNCTION LOAD's own code, and a library that does not load fails the load.
@Suite struct FunctionSnapshotTests {
    static let counter = "#!lua name=counter\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)"
    /// Flags, a description, non-ASCII bytes and a code long enough for a 32-bit length and LZF.
    static let notes = "#!lua name=notes\nredis.register_function{function_name='note', callback=function(keys, args) "
        + "return redis.call('set', keys[1], args[1]) end, flags={'allow-oom'}, description='keeps a note \u{e9}'}\n-- "
        + String(repeating: "padding ", count: 3000)

    /// An engine with `libraries` loaded and one key, and a session on it.
    static func engine(loading libraries: [String]) -> (Engine, ClientSession) {
        let engine = Engine()
        let session = ClientSession(engine: engine)
        session.grantFullAccess()
        for code in libraries { session.run(["FUNCTION", "LOAD", code]) }
        session.run(["SET", "k", "1"])
        return (engine, session)
    }

    /// The libraries' codes, each as its first line, size and CRC (short failure messages).
    static func codes(_ engine: Engine) -> [String] { engine.functions.libraryCodes.map(summary) }

    /// What `codes` answers for libraries with these codes.
    static func expected(_ codes: String...) -> [String] { codes.map { summary($0.utf8) } }

    static func summary(_ code: some Collection<UInt8>) -> String {
        var crc = CRC64()
        crc.update(Array(code))
        return "\(String(decoding: code.prefix { $0 != 10 }, as: UTF8.self)) (\(code.count) bytes, crc \(crc.value))"
    }

    static func value(_ engine: Engine, _ key: String) -> String? {
        var found: String? = nil
        engine.keyspace.databases[0].forEachEntry { name, value, _ in
            if name.array == Array(key.utf8), case .string(let bytes) = value { found = String(decoding: bytes.array, as: UTF8.self) }
        }
        return found
    }

    static func image(_ codes: [String], key: Bool = true) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var writer = RDBWriter { bytes += $0 }
        try writer.writeHeader()
        for code in codes { try writer.writeFunction(Array(code.utf8)) }
        if key {
            try writer.selectDatabase(0)
            try writer.writeString(key: Array("k".utf8), value: Array("1".utf8))
        }
        try writer.finish()
        return bytes
    }

    static func load(_ bytes: [UInt8], into engine: Engine, replaceLibraries: Bool = false) throws {
        try bytes.withUnsafeBytes {
            _ = try Snapshot.load($0, name: "dump.rdb", into: engine, skipExpired: false, replaceLibraries: replaceLibraries,
                                  withKeyspace: { $0() })
        }
    }

    @Test func librariesLoadBackFromASnapshotAndRun() throws {
        let (source, _) = Self.engine(loading: [Self.notes, Self.counter])
        let bytes = try RewriteRoundTripTests().snapshotBytes(of: source)
        let target = Engine()
        try Self.load(bytes, into: target)
        #expect(Self.codes(target) == Self.expected(Self.counter, Self.notes))
        let session = ClientSession(engine: target)
        session.grantFullAccess()
        session.run(["FCALL", "bump", "1", "k", "41"])
        session.run(["FCALL", "note", "1", "n", "written"])
        #expect(Self.value(target, "k") == "42")
        #expect(Self.value(target, "n") == "written")
    }

    /// Records what the reader meets, in order.
    struct Order: RDBLoadSink {
        var events: [String] = []
        mutating func auxField(_ key: [UInt8], _ value: [UInt8]) throws { events.append("aux") }
        mutating func selectDatabase(_ index: Int) throws { events.append("select") }
        mutating func resizeDatabase(keys: Int, expires: Int) throws {}
        mutating func entry(key: [UInt8], value: RDBObject, expireAtMilliseconds: Int64?) throws { events.append("key") }
        mutating func function(_ code: [UInt8]) throws { events.append("function") }
    }

    @Test func librariesComeAfterTheAuxFieldsAndBeforeTheKeys() throws {
        let (source, _) = Self.engine(loading: [Self.counter, Self.notes])
        var order = Order()
        try RDBReader.read(try RewriteRoundTripTests().snapshotBytes(of: source), into: &order)
        #expect(order.events == Array(repeating: "aux", count: 5) + ["function", "function", "select", "key"])
    }

    @Test(arguments: [
        ([counter, counter], "Failed loading library, Library 'counter' already exists"),
        (["#!lua name=empty\nlocal unused = 1"], "Failed loading library, No functions registered"),
        ([counter, "#!lua name=other\nredis.register_function('bump', function() return 0 end)"],
         "Failed loading library, Function bump already exists"),
        (["#!lua name=broken\nthis is not lua"], "Failed loading library, Error compiling function: user_function:2: '=' expected near 'is'"),
        (["#!lua\nredis.register_function('f', function() return 0 end)"], "Failed loading library, Library name was not given"),
    ])
    func aLibraryThatDoesNotLoadFailsTheLoad(codes: [String], reason: String) throws {
        let target = Engine()
        let error = try #require(throws: PersistenceError.self) { try Self.load(try Self.image(codes), into: target) }
        #expect(error.description.contains(reason), "\(error)")
        #expect(target.keyspace.keyCount == 0)
    }

    @Test func aLibraryThatExistsIsAnErrorUnlessReplacing() throws {
        let older = "#!lua name=counter\nredis.register_function('bump', function() return 'old' end)"
        let (target, _) = Self.engine(loading: [older])
        let bytes = try Self.image([Self.counter], key: false)
        let error = try #require(throws: PersistenceError.self) { try Self.load(bytes, into: target) }
        #expect(error.description.contains("Failed loading library, Library 'counter' already exists"))
        #expect(Self.codes(target) == Self.expected(older))
        try Self.load(bytes, into: target, replaceLibraries: true)
        #expect(Self.codes(target) == Self.expected(Self.counter))
    }

    /// A library's code may run past FUNCTION LOAD's 500 ms limit when read back from disk.
    @Test func aSlowLibraryIsNotCutShortWhenLoaded() throws {
        let slow = "#!lua name=slow\nlocal n = 0\nfor i = 1, 300000000 do n = n + 1 end\n"
            + "redis.register_function('count', function() return n end)"
        let live = Engine()
        let refused = live.functions.load(Array(slow.utf8), replace: false)
        guard case .failure(let error) = refused else { Issue.record("FUNCTION LOAD took more than 500 ms without a timeout"); return }
        #expect(error.message.contains("FUNCTION LOAD timeout"), "\(error.message)")
        let target = Engine()
        try Self.load(try Self.image([slow], key: false), into: target)
        #expect(Self.codes(target) == Self.expected(slow))
    }

    @Test func theCommandBaseLoadsTheLibrariesFirst() throws {
        let (source, _) = Self.engine(loading: [Self.notes, Self.counter])
        let path = RewriteRoundTripTests().temporaryPath("base.aof")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try BufferedFile(creating: path)
        try AOFRewriter.write(source.keyspace, functions: source.functions.libraryCodes, to: file)
        try file.finish()
        let bytes = try #require(try FileIO.read(path))
        let expected = AOFReplayTests.record("FUNCTION", "LOAD", Self.counter) + AOFReplayTests.record("FUNCTION", "LOAD", Self.notes)
            + AOFReplayTests.record("SELECT", "0")
        #expect(bytes.starts(with: Array(expected.utf8)))

        let target = Engine()
        let client = ClientSession(engine: target)
        client.grantFullAccess()
        let outcome = try bytes.withUnsafeBytes {
            try AOFLoader(withKeyspace: { $0() }, engine: target, client: client).replay($0, name: path)
        }
        #expect(outcome == .complete)
        #expect(Self.codes(target) == Self.expected(Self.counter, Self.notes))
    }
}

/// SAVE, a restart and DEBUG RELOAD through Persistence, on a data directory.
@Suite struct FunctionPersistenceTests {
    let directory = RewriteRoundTripTests().temporaryPath("functions")

    func start(appendOnly: Bool = false) throws -> (Engine, Persistence, ClientSession) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.dir = directory
        configuration.savePoints = []
        configuration.appendOnly = appendOnly
        let engine = Engine(configuration: configuration)
        let persistence = Persistence(engine: engine, withKeyspace: { $0() }, logNotice: { _ in }, logWarning: { _ in })
        engine.persistence = persistence
        try persistence.load()
        let session = ClientSession(engine: engine)
        session.grantFullAccess()
        return (engine, persistence, session)
    }

    /// From the snapshot SAVE wrote, or from the log's FUNCTION records (written at shutdown).
    @Test(arguments: [false, true])
    func librariesAreThereAfterARestart(appendOnly: Bool) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (engine, persistence, session) = try start(appendOnly: appendOnly)
        session.run(["FUNCTION", "LOAD", FunctionSnapshotTests.counter])
        session.run(["FUNCTION", "LOAD", FunctionSnapshotTests.notes])
        session.run(["FUNCTION", "LOAD", "#!lua name=dropped\nredis.register_function('gone', function() end)"])
        session.run(["FUNCTION", "DELETE", "dropped"])
        #expect(engine.keyspace.dirty == 4)
        #expect(persistence.prepareShutdown(save: !appendOnly))
        let (restarted, _, _) = try start(appendOnly: appendOnly)
        #expect(FunctionSnapshotTests.codes(restarted) == FunctionSnapshotTests.expected(FunctionSnapshotTests.counter, FunctionSnapshotTests.notes))
    }

    @Test func debugReloadEmptiesTheLibrariesAndMergeReplacesThem() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (engine, persistence, session) = try start()
        let counter = FunctionSnapshotTests.expected(FunctionSnapshotTests.counter)
        session.run(["FUNCTION", "LOAD", FunctionSnapshotTests.counter])
        #expect(persistence.debugReload(flush: true, save: true, merge: false) == .status("OK"))
        #expect(FunctionSnapshotTests.codes(engine) == counter)

        // Not in the snapshot: gone after a reload that empties first, as Redis's emptyData.
        session.run(["FUNCTION", "LOAD", FunctionSnapshotTests.notes])
        #expect(persistence.debugReload(flush: true, save: false, merge: false) == .status("OK"))
        #expect(FunctionSnapshotTests.codes(engine) == counter)

        let changed = "#!lua name=counter\nredis.register_function('bump', function() return 'changed' end)"
        session.run(["FUNCTION", "LOAD", "REPLACE", changed])
        #expect(persistence.debugReload(flush: false, save: false, merge: false) == .error(ErrorReply.reloadFailed))
        #expect(FunctionSnapshotTests.codes(engine) == FunctionSnapshotTests.expected(changed))
        #expect(persistence.debugReload(flush: false, save: false, merge: true) == .status("OK"))
        #expect(FunctionSnapshotTests.codes(engine) == counter)
    }
}

import KeyDBStorage
import Testing

/// Streams in RDB images: node listpacks in Redis's layout, counters and groups.
@Suite("stream RDB encoding")
struct StreamEncodingTests {
    static func entry(_ ms: UInt64, _ seq: UInt64, _ fields: [String], deleted: Bool = false) -> RDBStream.Entry {
        RDBStream.Entry(id: StreamID(ms: ms, seq: seq), fields: fields.map(bytes), deleted: deleted)
    }

    static let sample = RDBStream(
        nodes: [
            [entry(5, 3, ["a", "1", "b", "2"]), entry(6, 0, ["a", "x", "b", "-7"]), entry(6, 1, ["c", "z"], deleted: true)],
            [entry(1 << 40, 0, ["f", String(repeating: "v", count: 300)]), entry(1 << 40, 9, ["", "\0\r\n"])],
        ],
        length: 4, lastID: StreamID(ms: 1 << 40, seq: 20), firstID: StreamID(ms: 5, seq: 3),
        maxDeletedID: StreamID(ms: 6, seq: 1), entriesAdded: 9,
        groups: [
            RDBStream.Group(
                name: bytes("g1"), lastID: StreamID(ms: 6, seq: 0), entriesRead: -1,
                pending: [RDBStream.Pending(id: StreamID(ms: 5, seq: 3), deliveryTime: 1_700_000_000_000, deliveryCount: 3),
                          RDBStream.Pending(id: StreamID(ms: 6, seq: 0), deliveryTime: 1_700_000_000_001, deliveryCount: 1)],
                consumers: [RDBStream.Consumer(name: bytes("alice"), seenTime: 1_700_000_000_002, pending: [StreamID(ms: 5, seq: 3)]),
                            RDBStream.Consumer(name: bytes("bob"), seenTime: 7, pending: [StreamID(ms: 6, seq: 0)]),
                            RDBStream.Consumer(name: bytes("idle"), seenTime: 8, pending: [])]),
            RDBStream.Group(name: bytes("g2"), lastID: .max, entriesRead: 4, pending: [], consumers: []),
        ])

    @Test("a stream with deleted entries, several nodes and groups reads back equal")
    func roundTrip() throws {
        for compression in [true, false] {
            let image = try writeImage(compression: compression) {
                try $0.selectDatabase(0)
                try $0.writeEntry(key: bytes("s"), value: .stream(Self.sample))
            }
            let sink = try read(image)
            #expect(sink.entries.count == 1)
            #expect(sink.entries.first?.value == .stream(Self.sample))
        }
    }

    @Test("a node's listpack: master entry, same-field flag, deltas and element counts")
    func nodeLayout() throws {
        let node = Self.sample.nodes[0]
        let lp = StreamListpack.encode(node)
        let elements = try Listpack.decode(lp)
        let text = elements.map { String(decoding: $0, as: UTF8.self) }
        // live 2, deleted 1, 2 master fields a b, terminator; then entries.
        #expect(Array(text.prefix(6)) == ["2", "1", "2", "a", "b", "0"])
        // First entry: same fields (flag 2), deltas 0 0, values only, 2 + 3 elements.
        #expect(Array(text[6..<12]) == ["2", "0", "0", "1", "2", "5"])
        // The deleted entry with other fields: flag 1, ms +1, seq 1-3 wraps to -2.
        #expect(Array(text[18...]) == ["1", "1", "-2", "1", "c", "z", "6"])
        #expect(try StreamListpack.decode(master: node[0].id, lp.withUnsafeBytes { UnsafeRawBufferPointer($0) }) == node)
        // The size accounting the engine uses matches the real listpack.
        let names = [bytes("a"), bytes("b")]
        let size = StreamListpack.masterSize(fieldNames: names, live: 2, deleted: 1)
            + node.reduce(0) {
                $0 + StreamListpack.entrySize(id: $1.id, master: node[0].id, fields: $1.fields,
                                              sameFields: StreamListpack.hasSameFields($1.fields, as: names))
            }
        #expect(size == lp.count)
    }

    @Test("inconsistent streams are refused, not loaded")
    func corrupt() throws {
        var wrongLength = Self.sample
        wrongLength.length = 5
        var orphan = Self.sample
        orphan.groups[0].consumers[0].pending = [StreamID(ms: 99, seq: 0)]
        var backwards = Self.sample
        backwards.lastID = StreamID(ms: 1, seq: 0)
        for bad in [wrongLength, orphan, backwards] {
            let image = try writeImage {
                try $0.selectDatabase(0)
                try $0.writeEntry(key: bytes("s"), value: .stream(bad))
            }
            #expect(throws: RDBError.self) { try read(image) }
        }
    }
}

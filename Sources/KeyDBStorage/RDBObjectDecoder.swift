/// Decodes one value given its type byte: the part of an RDB key entry after
/// the key, and the body of a DUMP payload.
public enum RDBObjectDecoder {
    public static func decode(type typeByte: UInt8, from cursor: inout RDBCursor) throws -> RDBObject {
        let start = cursor.offset
        guard let type = RDBValueType(rawValue: typeByte) else {
            throw RDBError("unknown value type \(typeByte)", offset: start - 1)
        }
        switch type {
        case .string:
            return .string(try cursor.readString())
        case .list:
            return .list(try readStrings(&cursor, "list length"))
        case .set:
            return .set(try readStrings(&cursor, "set size"))
        case .hash:
            let n = try cursor.readCount("hash size", minimumItemSize: 2)
            var pairs: [([UInt8], [UInt8])] = []
            pairs.reserveCapacity(n)
            for _ in 0..<n { pairs.append((try cursor.readString("hash field"), try cursor.readString("hash value"))) }
            return .hash(pairs)
        case .sortedSet, .sortedSet2:
            let binary = type == .sortedSet2
            let n = try cursor.readCount("sorted set size", minimumItemSize: binary ? 9 : 2)
            var members: [([UInt8], Double)] = []
            members.reserveCapacity(n)
            for _ in 0..<n {
                let member = try cursor.readString("sorted set member")
                let scoreAt = cursor.offset
                let score = binary ? try cursor.readBinaryDouble("score") : try cursor.readTextDouble("score")
                guard !score.isNaN else { throw RDBError("sorted set score is NaN", offset: scoreAt) }
                members.append((member, score))
            }
            return .sortedSet(members)
        case .hashZipmap:
            return .hash(try cursor.withBlob("zipmap") { try Zipmap.decode($0) })
        case .listZiplist:
            return .list(try cursor.withBlob("ziplist") { try Ziplist.decode($0) })
        case .setIntset:
            return .set(try cursor.withBlob("intset") { try Intset.decode($0).map(IntegerText.bytes) })
        case .setListpack:
            return .set(try cursor.withBlob("listpack") { try Listpack.decode($0) })
        case .hashZiplist:
            return .hash(try pairs(cursor.withBlob("ziplist") { try Ziplist.decode($0) }, at: start))
        case .hashListpack:
            return .hash(try pairs(cursor.withBlob("listpack") { try Listpack.decode($0) }, at: start))
        case .sortedSetZiplist:
            return .sortedSet(try scored(cursor.withBlob("ziplist") { try Ziplist.decode($0) }, at: start))
        case .sortedSetListpack:
            return .sortedSet(try scored(cursor.withBlob("listpack") { try Listpack.decode($0) }, at: start))
        case .listQuicklist:
            let nodes = try cursor.readCount("quicklist node count")
            var elements: [[UInt8]] = []
            for _ in 0..<nodes {
                elements += try cursor.withBlob("quicklist ziplist node") { try Ziplist.decode($0) }
            }
            return .list(elements)
        case .listQuicklist2:
            let nodes = try cursor.readCount("quicklist node count", minimumItemSize: 2)
            var elements: [[UInt8]] = []
            for _ in 0..<nodes {
                let containerAt = cursor.offset
                switch try cursor.readLength("quicklist container") {
                case QuicklistContainer.plain:
                    elements.append(try cursor.readString("quicklist plain node"))
                case QuicklistContainer.packed:
                    elements += try cursor.withBlob("quicklist listpack node") { try Listpack.decode($0) }
                case let other:
                    throw RDBError("unknown quicklist container \(other)", offset: containerAt)
                }
            }
            return .list(elements)
        case .streamListpacks, .streamListpacks2, .streamListpacks3:
            return .stream(try cursor.readStream(type))
        case .module, .module2:
            throw RDBError("module values (type \(typeByte)) are not supported", offset: start - 1)
        }
    }

    private static func readStrings(_ cursor: inout RDBCursor, _ what: String) throws -> [[UInt8]] {
        let n = try cursor.readCount(what)
        var items: [[UInt8]] = []
        items.reserveCapacity(n)
        for _ in 0..<n { items.append(try cursor.readString()) }
        return items
    }

    /// Alternating field, value entries of a packed hash.
    private static func pairs(_ entries: [[UInt8]], at offset: Int) throws -> [([UInt8], [UInt8])] {
        guard entries.count % 2 == 0 else { throw RDBError("packed hash has an odd number of entries", offset: offset) }
        return stride(from: 0, to: entries.count, by: 2).map { (entries[$0], entries[$0 + 1]) }
    }

    /// Alternating member, score entries of a packed sorted set.
    private static func scored(_ entries: [[UInt8]], at offset: Int) throws -> [([UInt8], Double)] {
        guard entries.count % 2 == 0 else {
            throw RDBError("packed sorted set has an odd number of entries", offset: offset)
        }
        return try stride(from: 0, to: entries.count, by: 2).map {
            guard let score = DoubleText.parse(entries[$0 + 1]), !score.isNaN else {
                throw RDBError("packed sorted set score is not a number", offset: offset)
            }
            return (entries[$0], score)
        }
    }
}

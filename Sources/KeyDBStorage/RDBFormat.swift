// KeyDBStorage — Redis RDB snapshots (format version 10, as Redis 7.0 writes them).
//
// Module map:
// - RDBReader: parses a whole image and hands databases, aux fields, functions
//   and keys to an `RDBLoadSink`.
// - RDBWriter: streams an image out in chunks with a running CRC64, so a large
//   keyspace never has to exist as one buffer.
// - RDBObjectDecoder / RDBObjectEncoder: one value (type byte + payload), shared
//   with DUMP/RESTORE.
// - RDBCursor (bounds-checked reads) and RDBOutput (buffered writes): the RDB
//   length and string encodings.
// - Listpack, Ziplist, Intset, Zipmap: the packed encodings found inside values.
// - LZF, CRC64: compression and checksum exactly as Redis uses them.
//
// Malformed input never traps: every failure is an `RDBError` with a byte offset.

/// The version this module writes and the newest it reads.
public let rdbVersion = 10

/// The object type byte that precedes every value.
public enum RDBValueType: UInt8, Sendable {
    case string = 0
    case list = 1
    case set = 2
    case sortedSet = 3  // scores as text
    case hash = 4
    case sortedSet2 = 5  // scores as binary doubles
    case module = 6
    case module2 = 7
    case hashZipmap = 9
    case listZiplist = 10
    case setIntset = 11
    case sortedSetZiplist = 12
    case hashZiplist = 13
    case listQuicklist = 14
    case streamListpacks = 15
    case hashListpack = 16
    case sortedSetListpack = 17
    case listQuicklist2 = 18
    case streamListpacks2 = 19
    case setListpack = 20  // Redis 7.2
    case streamListpacks3 = 21  // Redis 7.2
}

/// Opcodes that may appear where a value type byte is expected.
enum RDBOpcode {
    static let function2: UInt8 = 0xF5
    static let function: UInt8 = 0xF6  // 7.0 release candidates only
    static let moduleAux: UInt8 = 0xF7
    static let idle: UInt8 = 0xF8
    static let freq: UInt8 = 0xF9
    static let aux: UInt8 = 0xFA
    static let resizeDB: UInt8 = 0xFB
    static let expireTimeMilliseconds: UInt8 = 0xFC
    static let expireTimeSeconds: UInt8 = 0xFD
    static let selectDB: UInt8 = 0xFE
    static let eof: UInt8 = 0xFF
}

/// Quicklist node containers in LIST_QUICKLIST_2.
enum QuicklistContainer {
    static let plain = 1
    static let packed = 2
}

/// A value as it appears in an RDB image. Integers stored in packed encodings
/// come back as their decimal ASCII bytes. Equality is exact and in order
/// (scores compared bit for bit), as the tests need.
public enum RDBObject: Equatable, Sendable {
    case string([UInt8])
    case list([[UInt8]])
    case set([[UInt8]])
    case hash([([UInt8], [UInt8])])
    case sortedSet([([UInt8], Double)])
    case stream(RDBStream)

    public static func == (a: RDBObject, b: RDBObject) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)), let (.set(x), .set(y)): return x == y
        case let (.hash(x), .hash(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.sortedSet(x), .sortedSet(y)):
            // Bit patterns, so that -0 and 0 (and NaN) are told apart.
            return x.count == y.count
                && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1.bitPattern == $1.1.bitPattern }
        case let (.stream(x), .stream(y)): return x == y
        default: return false
        }
    }
}

/// Receives the contents of an RDB image, in file order.
public protocol RDBLoadSink {
    mutating func auxField(_ key: [UInt8], _ value: [UInt8]) throws
    mutating func selectDatabase(_ index: Int) throws
    mutating func resizeDatabase(keys: Int, expires: Int) throws
    mutating func entry(key: [UInt8], value: RDBObject, expireAtMilliseconds: Int64?) throws
    /// The source of one function library (RDB_OPCODE_FUNCTION2).
    mutating func function(_ code: [UInt8]) throws
}

/// A malformed or unsupported RDB image (or value).
public struct RDBError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// Where in the input the problem was found.
    public let offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) (at byte \(offset))" }
}

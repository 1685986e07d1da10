import KeyDBStorage

/// Records everything an RDB image contains, in order.
struct CollectingSink: RDBLoadSink {
    struct Entry: Equatable {
        var db: Int
        var key: [UInt8]
        var value: RDBObject
        var expireAt: Int64?
    }

    var aux: [([UInt8], [UInt8])] = []
    var resizes: [(keys: Int, expires: Int)] = []
    var functions: [[UInt8]] = []
    var entries: [Entry] = []
    var db = 0

    mutating func auxField(_ key: [UInt8], _ value: [UInt8]) throws { aux.append((key, value)) }
    mutating func selectDatabase(_ index: Int) throws { db = index }
    mutating func resizeDatabase(keys: Int, expires: Int) throws { resizes.append((keys, expires)) }
    mutating func function(_ code: [UInt8]) throws { functions.append(code) }
    mutating func entry(key: [UInt8], value: RDBObject, expireAtMilliseconds: Int64?) throws {
        entries.append(Entry(db: db, key: key, value: value, expireAt: expireAtMilliseconds))
    }

    func auxValue(_ key: String) -> [UInt8]? { aux.first { $0.0 == Array(key.utf8) }?.1 }
}

func read(_ image: [UInt8]) throws -> CollectingSink {
    var sink = CollectingSink()
    try RDBReader.read(image, into: &sink)
    return sink
}

/// Runs a writer into memory, in small chunks so chunking is exercised too.
func writeImage(
    compression: Bool = true, checksum: Bool = true, limits: RDBEncodingLimits = RDBEncodingLimits(),
    _ body: (inout RDBWriter) throws -> Void
) throws -> [UInt8] {
    final class Box { var bytes: [UInt8] = [] }
    let box = Box()
    var writer = RDBWriter(compression: compression, checksum: checksum, limits: limits, chunkSize: 1000) {
        box.bytes.append(contentsOf: $0)
    }
    try writer.writeHeader()
    try body(&writer)
    try writer.finish()
    return box.bytes
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// SplitMix64: a seeded generator so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// Hand-assembles RDB images for inputs the writer never produces.
struct ImageBuilder {
    var bytes: [UInt8]

    init(version: Int = 10) { bytes = Array("REDIS".utf8) + Array(String(format4(version)).utf8) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func raw(_ b: [UInt8]) { bytes += b }

    mutating func length(_ n: Int) {
        if n < 64 {
            bytes.append(UInt8(n))
        } else if n < 16384 {
            bytes += [0x40 | UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            bytes.append(0x80)
            bytes += withUnsafeBytes(of: UInt32(n).bigEndian, Array.init)
        }
    }

    mutating func string(_ s: [UInt8]) {
        length(s.count)
        bytes += s
    }

    mutating func string(_ s: String) { string(Array(s.utf8)) }

    /// EOF, then the CRC64 trailer (from version 5 on).
    func finished(checksum: Bool = true) -> [UInt8] {
        var out = bytes + [0xFF]
        let version = Int(String(decoding: bytes[5..<9], as: UTF8.self))!
        if version >= 5 {
            let crc = checksum ? CRC64.checksum(out) : 0
            out += withUnsafeBytes(of: crc.littleEndian, Array.init)
        }
        return out
    }
}

private func format4(_ v: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

/// Builds a ziplist from (prevlen-independent) entry bodies: each is an encoding
/// plus its data; prevlens, header and terminator are filled in.
func ziplist(_ bodies: [[UInt8]]) -> [UInt8] {
    var entries: [UInt8] = []
    var previous = 0
    var tail = 10
    for body in bodies {
        tail = 10 + entries.count
        let prevlen: [UInt8] = previous < 254
            ? [UInt8(previous)] : [0xFE] + withUnsafeBytes(of: UInt32(previous).littleEndian, Array.init)
        let entry = prevlen + body
        entries += entry
        previous = entry.count
    }
    let total = 10 + entries.count + 1
    return withUnsafeBytes(of: UInt32(total).littleEndian, Array.init)
        + withUnsafeBytes(of: UInt32(tail).littleEndian, Array.init)
        + withUnsafeBytes(of: UInt16(bodies.count).littleEndian, Array.init)
        + entries + [0xFF]
}

/// A ziplist string entry body with the smallest length encoding.
func zipString(_ s: [UInt8]) -> [UInt8] {
    if s.count < 64 { return [UInt8(s.count)] + s }
    if s.count < 16384 { return [0x40 | UInt8(s.count >> 8), UInt8(s.count & 0xFF)] + s }
    return [0x80] + withUnsafeBytes(of: UInt32(s.count).bigEndian, Array.init) + s
}

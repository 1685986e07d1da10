/// Intset: a set of integers as a sorted array of one width (2, 4 or 8 bytes).
/// Layout: width (u32 LE), count (u32 LE), members (LE), strictly ascending.
public enum Intset {
    static let headerSize = 8

    /// The members in ascending order. Offsets in a thrown error are into `blob`.
    public static func decode(_ blob: UnsafeRawBufferPointer) throws -> [Int64] {
        guard blob.count >= headerSize else { throw RDBError("intset shorter than its header", offset: 0) }
        let width = Int(blob.loadUnaligned(as: UInt32.self).littleEndian)
        guard width == 2 || width == 4 || width == 8 else {
            throw RDBError("bad intset width \(width)", offset: 0)
        }
        let count = Int(blob.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        guard count <= (blob.count - headerSize) / width, headerSize + count * width == blob.count else {
            throw RDBError("intset of \(count) x \(width) bytes does not fill \(blob.count) bytes", offset: 4)
        }
        guard count > 0 else { throw RDBError("empty intset", offset: 4) }
        var members = [Int64]()
        members.reserveCapacity(count)
        for i in 0..<count {
            let p = headerSize + i * width
            let v: Int64
            switch width {
            case 2: v = Int64(Int16(littleEndian: blob.loadUnaligned(fromByteOffset: p, as: Int16.self)))
            case 4: v = Int64(Int32(littleEndian: blob.loadUnaligned(fromByteOffset: p, as: Int32.self)))
            default: v = Int64(littleEndian: blob.loadUnaligned(fromByteOffset: p, as: Int64.self))
            }
            if let previous = members.last, previous >= v {
                throw RDBError("intset members are not strictly ascending", offset: p)
            }
            members.append(v)
        }
        return members
    }

    public static func decode(_ blob: [UInt8]) throws -> [Int64] {
        try blob.withUnsafeBytes { try decode($0) }
    }

    /// Encodes distinct members in the narrowest width that holds them all.
    public static func encode(_ members: [Int64]) -> [UInt8] {
        let sorted = members.sorted()
        let width: Int
        if sorted.allSatisfy({ Int16(exactly: $0) != nil }) {
            width = 2
        } else if sorted.allSatisfy({ Int32(exactly: $0) != nil }) {
            width = 4
        } else {
            width = 8
        }
        var out = [UInt8]()
        out.reserveCapacity(headerSize + sorted.count * width)
        func put(_ v: UInt64, _ n: Int) {
            for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
        }
        put(UInt64(width), 4)
        put(UInt64(sorted.count), 4)
        for v in sorted { put(UInt64(bitPattern: v), width) }
        return out
    }
}

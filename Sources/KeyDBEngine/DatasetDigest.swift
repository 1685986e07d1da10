import KeyDBStorage

/// DEBUG DIGEST and DIGEST-VALUE: Redis's SHA-1 fingerprint of the data, the same
/// 40 hex digits Redis gives for the same keys, so a Redis replica of SwiftKeyDB
/// (or a copy made by any other route) can be compared with it in one command.
///
/// Two steps build it. `xor` folds in SHA1(part), so unordered parts (keys, set
/// members, hash fields, sorted-set members) give the same result in any order;
/// `mix` folds in SHA1(part) and then hashes the digest itself, so ordered parts
/// (list elements, stream entries, a key and its value) depend on their order.
struct DatasetDigest {
    /// SHA-1's five state words, as `SHA1.words` gives them.
    private var words: [UInt32] = [0, 0, 0, 0, 0]

    /// The digest of every database: each non-empty one mixes in its number, then
    /// xors in each key's own digest, expired keys included, as Redis walks them.
    static func dataset(_ keyspace: Keyspace) -> DatasetDigest {
        var total = DatasetDigest()
        for db in keyspace.databases where db.count > 0 {
            total.mix(bigEndian: UInt32(db.index))
            db.forEachEntry { key, value, expireAt in
                var entry = DatasetDigest()
                key.withUnsafeBytes { entry.mix($0) }
                entry.add(value, expires: expireAt != 0)
                total.xor(entry.bytes)
            }
        }
        return total
    }

    /// One value's digest (DIGEST-VALUE): its type, its content and whether it expires.
    static func value(_ value: Value, expires: Bool) -> DatasetDigest {
        var digest = DatasetDigest()
        digest.add(value, expires: expires)
        return digest
    }

    var hex: String { SHABlocks.hex(words) }

    /// The 20 bytes Redis hashes when one digest goes into another.
    private var bytes: [UInt8] { words.flatMap { word in withUnsafeBytes(of: word.bigEndian, Array.init) } }

    private mutating func add(_ value: Value, expires: Bool) {
        // Redis's type numbers: string 0, list 1, set 2, sorted set 3, hash 4, stream 6.
        switch value {
        case .string(let bytes):
            mix(bigEndian: 0)
            bytes.withUnsafeBytes { mix($0) }
        case .list(let list):
            mix(bigEndian: 1)
            for item in list.items { item.withUnsafeBytes { mix($0) } }
        case .set(let set):
            mix(bigEndian: 2)
            for member in set.members { member.withUnsafeBytes { xor($0) } }
        case .sortedSet(let zset):
            mix(bigEndian: 3)
            zset.forEachInOrder { member, score in
                var element = DatasetDigest()
                member.withUnsafeBytes { element.mix($0) }
                withDoubleText(score) { element.mix($0) }  // "%.17g", whatever the encoding
                xor(element.bytes)
            }
        case .hash(let hash):
            mix(bigEndian: 4)
            for pair in hash.fields {
                var element = DatasetDigest()
                pair.key.withUnsafeBytes { element.mix($0) }
                pair.value.withUnsafeBytes { element.mix($0) }
                xor(element.bytes)
            }
        case .stream(let stream):
            // The entries alone, each ID as "ms.seq"; consumer groups are not part of it.
            mix(bigEndian: 6)
            stream.forEach(in: StreamID.zero...StreamID.max) { entry in
                mix(Array("\(entry.id.ms).\(entry.id.seq)".utf8))
                for part in entry.fields { part.withUnsafeBytes { mix($0) } }
                return true
            }
        }
        if expires { xor(Array("!!expire!!".utf8)) }
    }

    private mutating func xor(_ part: some Collection<UInt8>) {
        let hash = SHA1.words(part)
        for (index, word) in [hash.0, hash.1, hash.2, hash.3, hash.4].enumerated() { words[index] ^= word }
    }

    private mutating func mix(_ part: some Collection<UInt8>) {
        xor(part)
        let digest = bytes
        words = [0, 0, 0, 0, 0]
        xor(digest)
    }

    private mutating func mix(bigEndian number: UInt32) {
        withUnsafeBytes(of: number.bigEndian) { mix($0) }
    }
}

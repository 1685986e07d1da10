import KeyDBEngine
import KeyDBStorage

/// Writes the dataset as the commands that rebuild it (a base file in AOF form,
/// `aof-use-rdb-preamble no`), as Redis's rewriteAppendOnlyFileRio does: the
/// function libraries first as FUNCTION LOAD, then collections in commands of at
/// most 64 elements, expiry as PEXPIREAT.
struct AOFRewriter {
    static let itemsPerCommand = 64
    private var out: [UInt8] = []

    static func write(_ keyspace: Keyspace, functions: [[UInt8]], to file: BufferedFile) throws {
        var writer = AOFRewriter()
        for code in functions { writer.command([word("FUNCTION"), word("LOAD"), code]) }
        for db in keyspace.databases where db.count > 0 {
            writer.command([word("SELECT"), word(String(db.index))])
            try db.forEachEntry { (key, value, expireAt) throws in
                writer.entry(key, value, expireAt: expireAt)
                if writer.out.count >= 1 << 16 {
                    try file.write(writer.out)
                    writer.out.removeAll(keepingCapacity: true)
                }
            }
        }
        try file.write(writer.out)
    }

    private mutating func entry(_ key: Bytes, _ value: Value, expireAt: Int64) {
        let name = key.array
        switch value {
        case .string(let bytes):
            command([word("SET"), name, bytes.array])
        case .list(let list):
            batches(list.items.map(\.array), "RPUSH", name)
        case .set(let set):
            batches(set.members.map(\.array), "SADD", name)
        case .hash(let hash):
            batches(hash.fields.flatMap { [$0.key.array, $0.value.array] }, "HSET", name, stride: 2)
        case .sortedSet(let zset):
            var pairs: [[UInt8]] = []
            zset.forEachInOrder { member, score in
                pairs.append(Array(formatScore(score).utf8))
                pairs.append(member.array)
            }
            batches(pairs, "ZADD", name, stride: 2)
        case .stream(let stream):
            self.stream(name, stream.rdbStream)
        }
        if expireAt != 0 { command([word("PEXPIREAT"), name, word(String(expireAt))]) }
    }

    /// A stream as Redis's rewriteStreamObject writes it: its entries as XADDs (an empty
    /// stream as an XADD trimmed to nothing), its counters with XSETID, then each group,
    /// its consumers and their pending entries.
    private mutating func stream(_ key: [UInt8], _ stream: RDBStream) {
        let live = stream.nodes.joined().filter { !$0.deleted }
        if live.isEmpty {
            command([word("XADD"), key, word("MAXLEN"), word("0"), word("0-1"), word("x"), word("y")])
        }
        for entry in live { command([word("XADD"), key, word(entry.id.description)] + entry.fields) }
        command([word("XSETID"), key, word(stream.lastID.description), word("ENTRIESADDED"), word(String(stream.entriesAdded)),
                 word("MAXDELETEDID"), word(stream.maxDeletedID.description)])
        for group in stream.groups {
            command([word("XGROUP"), word("CREATE"), key, group.name, word(group.lastID.description),
                     word("ENTRIESREAD"), word(String(group.entriesRead))])
            let pending = Dictionary(uniqueKeysWithValues: group.pending.map { ($0.id, $0) })
            for consumer in group.consumers {
                if consumer.pending.isEmpty {
                    command([word("XGROUP"), word("CREATECONSUMER"), key, group.name, consumer.name])
                }
                for id in consumer.pending {
                    guard let entry = pending[id] else { continue }
                    command([word("XCLAIM"), key, group.name, consumer.name, word("0"), word(id.description),
                             word("TIME"), word(String(entry.deliveryTime)), word("RETRYCOUNT"), word(String(entry.deliveryCount)),
                             word("JUSTID"), word("FORCE")])
                }
            }
        }
    }

    /// `elements` as `command key e1 e2 ...`, at most `itemsPerCommand` items (of `stride` elements) each.
    private mutating func batches(_ elements: [[UInt8]], _ name: String, _ key: [UInt8], stride: Int = 1) {
        let size = Self.itemsPerCommand * stride
        var start = 0
        while start < elements.count {
            let end = min(start + size, elements.count)
            command([word(name), key] + elements[start..<end])
            start = end
        }
    }

    private mutating func command(_ arguments: [[UInt8]]) {
        out.append(contentsOf: Array("*\(arguments.count)\r\n".utf8))
        for argument in arguments {
            out.append(contentsOf: Array("$\(argument.count)\r\n".utf8))
            out.append(contentsOf: argument)
            out.append(contentsOf: [13, 10])
        }
    }
}

private func word(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A score as ZADD reads it back exactly: integers plainly, others with 17 significant digits.
func formatScore(_ score: Double) -> String {
    if score.isInfinite { return score > 0 ? "inf" : "-inf" }
    if score == 0 { return score.sign == .minus ? "-0" : "0" }
    if score == score.rounded(), abs(score) < 1e17 { return String(Int64(score)) }
    return "\(score)"
}

import KeyDBRESP

/// Redis 7's multi-part AOF manifest (`appendonlydir/<name>.manifest`): one base
/// file, then incremental files replayed in order; history files await deletion.
///
/// Each line reads `file <name> seq <n> type <b|h|i>`, as redis-server and
/// redis-check-aof expect.
struct AOFManifest: Equatable {
    struct Entry: Equatable {
        enum Kind: String { case base = "b", history = "h", incremental = "i" }
        var name: String
        var sequence: Int
        var kind: Kind
    }

    var base: Entry?
    var history: [Entry] = []
    var incrementals: [Entry] = []
    /// The highest sequence numbers ever used (history included), so a new file
    /// never takes the name of one that is about to be deleted.
    private(set) var lastBaseSequence = 0
    private(set) var lastIncrementalSequence = 0

    /// Parses a manifest; the error names the line that is wrong.
    init(parsing text: [UInt8]) throws {
        var splitter = InlineSplitter()
        var lineNumber = 0
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard !trimmed.isEmpty, trimmed.first != UInt8(ascii: "#") else { continue }
            let words: [String] = Array(trimmed).withUnsafeBytes { bytes in
                guard splitter.split(bytes) else { return [] }
                return splitter.storage.withUnsafeBytes { storage in
                    splitter.spans.map { String(decoding: UnsafeRawBufferPointer(rebasing: storage[$0.offset..<$0.offset + $0.count]), as: UTF8.self) }
                }
            }
            guard words.count % 2 == 0, !words.isEmpty else { throw Self.invalid(lineNumber, "Invalid AOF manifest file format") }
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: words.count, by: 2) { fields[words[index]] = words[index + 1] }
            guard let name = fields["file"], let sequence = fields["seq"].flatMap({ Int($0) }),
                  let kind = fields["type"].flatMap(Entry.Kind.init(rawValue:)) else {
                throw Self.invalid(lineNumber, "Invalid AOF manifest file format")
            }
            let entry = Entry(name: name, sequence: sequence, kind: kind)
            // History files do not say which kind they were: their names do.
            let isBase = kind == .base || (kind == .history && (name.hasSuffix(".base.rdb") || name.hasSuffix(".base.aof")))
            if isBase {
                lastBaseSequence = max(lastBaseSequence, sequence)
            } else {
                lastIncrementalSequence = max(lastIncrementalSequence, sequence)
            }
            switch kind {
            case .base:
                guard base == nil else { throw Self.invalid(lineNumber, "Found duplicate base file information") }
                base = entry
            case .history: history.append(entry)
            case .incremental:
                if let last = incrementals.last, last.sequence >= sequence {
                    throw Self.invalid(lineNumber, "Found a non-monotonic sequence number")
                }
                incrementals.append(entry)
            }
        }
    }

    init() {}

    private static func invalid(_ line: Int, _ reason: String) -> PersistenceError {
        PersistenceError("Bad AOF manifest at line \(line): \(reason)")
    }

    /// The text redis-server writes: base first, then history, then incremental files.
    var text: [UInt8] {
        var lines = ""
        for entry in [base].compactMap({ $0 }) + history + incrementals {
            lines += "file \(entry.name) seq \(entry.sequence) type \(entry.kind.rawValue)\n"
        }
        return Array(lines.utf8)
    }

    /// Files to replay, in order.
    var replayOrder: [Entry] { [base].compactMap { $0 } + incrementals }

    var nextBaseSequence: Int { lastBaseSequence + 1 }

    /// Adds a new incremental file `<prefix>.<seq>.incr.aof`; returns its name.
    mutating func addIncremental(prefix: String) -> String {
        lastIncrementalSequence += 1
        let sequence = lastIncrementalSequence
        let name = "\(prefix).\(sequence).incr.aof"
        incrementals.append(Entry(name: name, sequence: sequence, kind: .incremental))
        return name
    }

    /// A rewrite finished: `newBase` replaces the base, and every incremental file but
    /// the one being written (`keeping`) becomes history.
    mutating func install(base newBase: Entry, keeping current: String?) {
        if var old = base {
            old.kind = .history
            history.insert(old, at: 0)
        }
        base = newBase
        lastBaseSequence = max(lastBaseSequence, newBase.sequence)
        for var entry in incrementals.reversed() where entry.name != current {
            entry.kind = .history
            history.insert(entry, at: 0)
        }
        incrementals.removeAll { $0.name != current }
    }
}

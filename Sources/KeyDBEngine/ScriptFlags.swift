import KeyDBRESP

/// What a script declares about itself: in an EVAL script's shebang
/// (`#!lua flags=no-writes,allow-oom`) or in `redis.register_function`'s flags.
/// Scripts without a shebang run in Redis's compatibility mode (`evalCompat`).
struct ScriptFlags: OptionSet, Sendable {
    let rawValue: UInt8

    static let noWrites = ScriptFlags(rawValue: 1 << 0)
    static let allowOOM = ScriptFlags(rawValue: 1 << 1)
    static let allowStale = ScriptFlags(rawValue: 1 << 2)
    static let noCluster = ScriptFlags(rawValue: 1 << 3)
    static let allowCrossSlotKeys = ScriptFlags(rawValue: 1 << 4)
    static let evalCompat = ScriptFlags(rawValue: 1 << 7)

    /// The names scripts use, in Redis's order (FUNCTION LIST prints them so).
    static let names: [(ScriptFlags, String)] = [
        (.noWrites, "no-writes"), (.allowOOM, "allow-oom"), (.allowStale, "allow-stale"),
        (.noCluster, "no-cluster"), (.allowCrossSlotKeys, "allow-cross-slot-keys"),
    ]

    static func named(_ name: some Collection<UInt8>) -> ScriptFlags? {
        names.first { $0.1.utf8.elementsEqual(name) }?.0
    }

    var words: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

    /// Reads an EVAL script's shebang line: the flags and how many bytes the line takes
    /// (the newline stays, so line numbers in errors still match the user's text).
    static func shebang(of body: [UInt8]) -> Result<(ScriptFlags, Int), ScriptError> {
        guard body.starts(with: Array("#!".utf8)) else { return .success((.evalCompat, 0)) }
        guard let end = body.firstIndex(of: 10) else { return .failure(ScriptError("Invalid script shebang")) }
        var splitter = InlineSplitter()
        let split = body[..<end].withUnsafeBytes { splitter.split($0) }
        guard split, !splitter.spans.isEmpty else { return .failure(ScriptError("Invalid engine in script shebang")) }
        let words = splitter.spans.map { Array(splitter.storage[$0.offset..<$0.offset + $0.count]) }
        guard words[0] == Array("#!lua".utf8) else {
            return .failure(ScriptError("Unexpected engine in script shebang: \(String(decoding: words[0], as: UTF8.self))"))
        }
        var flags: ScriptFlags = []
        for word in words.dropFirst() {
            guard word.starts(with: Array("flags=".utf8)) else {
                return .failure(ScriptError("Unknown lua shebang option: \(String(decoding: word, as: UTF8.self))"))
            }
            let list = word.dropFirst(6)
            if list.isEmpty { continue }
            for name in list.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard let flag = named(name) else {
                    return .failure(ScriptError("Unexpected flag in script shebang: \(String(decoding: name, as: UTF8.self))"))
                }
                flags.insert(flag)
            }
        }
        return .success((flags, end))
    }
}

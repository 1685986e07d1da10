import KeyDBRESP

/// Keyspace notifications (Redis's notify.c): which event classes are on, set
/// by `notify-keyspace-events` with Redis's flag letters.
public struct KeyspaceEventFlags: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let keyspace = KeyspaceEventFlags(rawValue: 1 << 0)   // K
    public static let keyevent = KeyspaceEventFlags(rawValue: 1 << 1)   // E
    public static let generic = KeyspaceEventFlags(rawValue: 1 << 2)    // g
    public static let string = KeyspaceEventFlags(rawValue: 1 << 3)     // $
    public static let list = KeyspaceEventFlags(rawValue: 1 << 4)       // l
    public static let set = KeyspaceEventFlags(rawValue: 1 << 5)        // s
    public static let hash = KeyspaceEventFlags(rawValue: 1 << 6)       // h
    public static let zset = KeyspaceEventFlags(rawValue: 1 << 7)       // z
    public static let expired = KeyspaceEventFlags(rawValue: 1 << 8)    // x
    public static let evicted = KeyspaceEventFlags(rawValue: 1 << 9)    // e
    public static let stream = KeyspaceEventFlags(rawValue: 1 << 10)    // t
    public static let keyMiss = KeyspaceEventFlags(rawValue: 1 << 11)   // m (not part of A)
    public static let module = KeyspaceEventFlags(rawValue: 1 << 13)    // d
    public static let newKey = KeyspaceEventFlags(rawValue: 1 << 14)    // n (not part of A)
    /// A: every class but key-miss and new-key.
    public static let all: KeyspaceEventFlags = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    /// Parses Redis's letters; nil for an unknown one.
    init?(letters: String) {
        var flags: KeyspaceEventFlags = []
        for letter in letters {
            switch letter {
            case "A": flags.formUnion(.all)
            case "g": flags.insert(.generic)
            case "$": flags.insert(.string)
            case "l": flags.insert(.list)
            case "s": flags.insert(.set)
            case "h": flags.insert(.hash)
            case "z": flags.insert(.zset)
            case "x": flags.insert(.expired)
            case "e": flags.insert(.evicted)
            case "K": flags.insert(.keyspace)
            case "E": flags.insert(.keyevent)
            case "t": flags.insert(.stream)
            case "m": flags.insert(.keyMiss)
            case "d": flags.insert(.module)
            case "n": flags.insert(.newKey)
            default: return nil
            }
        }
        self = flags
    }

    /// The canonical letters CONFIG GET shows.
    var letters: String {
        var text = ""
        if isSuperset(of: .all) {
            text = "A"
        } else {
            let classes: [(KeyspaceEventFlags, String)] = [(.generic, "g"), (.string, "$"), (.list, "l"), (.set, "s"), (.hash, "h"),
                                                          (.zset, "z"), (.expired, "x"), (.evicted, "e"), (.stream, "t"),
                                                          (.module, "d"), (.newKey, "n")]
            for (flag, letter) in classes where contains(flag) { text += letter }
        }
        if contains(.keyspace) { text += "K" }
        if contains(.keyevent) { text += "E" }
        if contains(.keyMiss) { text += "m" }
        return text
    }
}

extension Engine {
    /// Publishes `__keyspace@<db>__:<key> <event>` and/or `__keyevent@<db>__:<event> <key>`
    /// when the event's class is enabled.
    public func notify(_ type: KeyspaceEventFlags, _ event: StaticString, key: Bytes, db: Int) {
        let flags = keyspaceEvents
        guard flags.contains(type) else { return }
        let eventBytes = Bytes("\(event)")
        if flags.contains(.keyspace) {
            publish(channel: Bytes(Array("__keyspace@\(db)__:".utf8) + key.array), message: eventBytes)
        }
        if flags.contains(.keyevent) {
            publish(channel: Bytes("__keyevent@\(db)__:\(event)"), message: key)
        }
    }
}

extension ClientSession {
    /// A keyspace event about `key` in the selected database.
    public func notify(_ type: KeyspaceEventFlags, _ event: StaticString, _ key: UnsafeRawBufferPointer) {
        guard !engine.keyspaceEvents.isEmpty else { return }
        engine.notify(type, event, key: Bytes(key), db: db.index)
    }

    public func notify(_ type: KeyspaceEventFlags, _ event: StaticString, _ key: Bytes) {
        guard !engine.keyspaceEvents.isEmpty else { return }
        engine.notify(type, event, key: key, db: db.index)
    }
}

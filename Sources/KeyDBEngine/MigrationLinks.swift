/// A connection from this server to another, over which MIGRATE sends its
/// commands. The server opens them (`MigrationLinks.open`): the engine opens
/// no sockets. Each call waits at most `timeout` ms, as Redis's syncio does.
public protocol MigrationLink: AnyObject {
    /// Writes all of `bytes`; false on an error or a timeout (`timedOut` tells which).
    func write(_ bytes: [UInt8], timeout: Int) -> Bool
    /// The next reply line, without its CRLF; nil on an error, a timeout or the end of the stream.
    func readLine(timeout: Int) -> [UInt8]?
    /// The last failed call failed by running out of time.
    var timedOut: Bool { get }
    func close()
}

/// MIGRATE's connections, kept from one command to the next as Redis keeps them:
/// by the host and port as given, at most 64 (a random one closed to make room),
/// each with the database it last selected, and closed after 10 s unused.
public final class MigrationLinks: @unchecked Sendable {  // guarded by the keyspace lock
    /// Connects to host:port within `timeout` ms (the server's sockets); nil when it cannot.
    public var open: ((_ host: String, _ port: Int, _ timeout: Int) -> MigrationLink?)?

    final class Entry {
        let link: MigrationLink
        /// The database last selected on the link (-1: unknown, SELECT again).
        var database: Int64 = -1
        var lastUse: Int64
        init(link: MigrationLink, lastUse: Int64) {
            self.link = link
            self.lastUse = lastUse
        }
    }

    private var entries: [[UInt8]: Entry] = [:]
    static let capacity = 64
    static let idleMilliseconds: Int64 = 10_000

    /// The cached link to `host`:`port`, or a new one; nil when the connection fails.
    func link(host: [UInt8], port: [UInt8], timeout: Int, now: Int64) -> Entry? {
        let name = Self.name(host, port)
        if let entry = entries[name] {
            entry.lastUse = now
            return entry
        }
        if entries.count >= Self.capacity, let victim = entries.keys.randomElement() {
            entries.removeValue(forKey: victim)?.link.close()
        }
        guard let link = open?(String(decoding: host, as: UTF8.self), Self.atoi(port), timeout) else { return nil }
        let entry = Entry(link: link, lastUse: now)
        entries[name] = entry
        return entry
    }

    func close(host: [UInt8], port: [UInt8]) {
        entries.removeValue(forKey: Self.name(host, port))?.link.close()
    }

    /// A link's name in the cache: host and port as the command gave them.
    private static func name(_ host: [UInt8], _ port: [UInt8]) -> [UInt8] { host + [UInt8(ascii: ":")] + port }

    /// Closes the links unused for more than 10 s (the server's background cycle).
    public func closeIdle(now: Int64) {
        for (name, entry) in entries where now - entry.lastUse > Self.idleMilliseconds {
            entries.removeValue(forKey: name)
            entry.link.close()
        }
    }

    public var count: Int { entries.count }

    /// The port as C's atoi reads it, as Redis connects: leading blanks, a sign, the
    /// digits that follow; 0 when there are none.
    static func atoi(_ text: [UInt8]) -> Int {
        var index = text.startIndex
        while index < text.endIndex, isCBlank(text[index]) { index += 1 }
        var negative = false
        if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var value = 0
        while index < text.endIndex, text[index] >= 48, text[index] <= 57, value < Int(Int32.max) {
            value = value * 10 + Int(text[index] - 48)
            index += 1
        }
        return negative ? -value : value
    }
}

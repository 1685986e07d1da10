import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one batch of the master's stream came to (`Engine.applyMasterStream`).
public struct MasterStreamBatch {
    /// Bytes used; the rest waits for more input (an incomplete command, or one held by CLIENT PAUSE).
    public var consumed = 0
    /// Why the stream cannot be read on (the link is then dropped), if it cannot.
    public var failure: String?
    /// REPLCONF ACK's offset, when the master asked for one (GETACK).
    public var acknowledge: Int64?
    /// The link must close: the master's client was killed, or this link is no longer the master's.
    public var close = false
    /// Nothing ran because a busy script holds the dataset: try again shortly.
    public var retryLater = false
}

extension Engine {
    /// Runs the complete commands at the start of `bytes` as the master's client (Redis's
    /// processInputBuffer for CLIENT_MASTER): no replies, expired keys found as the master
    /// finds them. What ran goes on unchanged to this server's replicas and counts toward
    /// the replication offset, command by command, except that a transaction counts
    /// (and goes on) only with its EXEC: a link lost inside it gets it again from its start.
    public func applyMasterStream(_ bytes: UnsafeRawBufferPointer, link: MasterLink, parser: inout RequestParser) -> MasterStreamBatch {
        var batch = MasterStreamBatch()
        guard master === link, let session = link.session, !session.killRequested else {
            batch.close = true
            return batch
        }
        link.lastInteraction = Clock.milliseconds() / 1000
        // A busy script holds the dataset: the master's commands wait for it, never refused.
        if scriptBusy || halted {
            batch.retryLater = true
            return batch
        }
        guard session.blocked == nil && !session.postponed else { return batch }
        beginBatch(for: session)
        let expiryWasPaused = keyspace.expiryPaused
        keyspace.expiryPaused = true
        var settled = 0
        batch.consumed = run(bytes, as: session, parser: &parser, settled: &settled, failure: &batch.failure)
        keyspace.expiryPaused = expiryWasPaused
        endBatch()
        session.reply.clear()
        stats.netReplicationInputBytes += batch.consumed
        if settled > 0 {
            link.unsettled.withUnsafeBytes { replication.proxy($0, engine: self) }
            link.unsettled.removeAll(keepingCapacity: true)
            replication.proxy(UnsafeRawBufferPointer(rebasing: bytes[..<settled]), engine: self)
        }
        link.unsettled.append(contentsOf: bytes[settled..<batch.consumed])
        link.readOffset = replication.offset + Int64(link.unsettled.count + bytes.count - batch.consumed)
        if link.ackRequested {
            link.ackRequested = false
            batch.acknowledge = replication.offset
        }
        batch.close = session.killRequested
        return batch
    }

    /// A command of the master's failed here (Redis's afterErrorReply for its master client):
    /// the datasets may now differ, which the log says loudly, with the stream's latest bytes.
    /// With `propagation-error-behavior panic` (or `panic-on-replicas`) a read-only replica stops.
    func masterCommandFailed(_ session: ClientSession, error: [UInt8]) {
        stats.unexpectedErrorReplies += 1
        var text = error.prefix(4096)
        if text.starts(with: "ERR ".utf8) { text = text.dropFirst(4) }
        let command = session.lookedUpCommand?.fullName ?? "<unknown>"
        logWarning?("== CRITICAL == This replica is sending an error to its master: '\(String(decoding: text, as: UTF8.self))' after processing the command '\(command)'")
        if let latest = replication.latestStreamBytes(256), !latest.isEmpty {
            var quoted: [UInt8] = []
            latest.withUnsafeBytes { Repr.appendQuoted($0, to: &quoted) }
            logWarning?("Latest backlog is: '\(String(decoding: quoted, as: UTF8.self))'")
        }
        let behavior = configuration.keptSettings["propagation-error-behavior"] ?? "ignore"
        if replicaReadOnly && behavior != "ignore" {
            logWarning?("Guru Meditation: This replica panicked sending an error to its master after processing the command '\(command)'")
            exit(1)
        }
    }

    /// Runs every complete command in `bytes`; `settled` is where the last one outside a
    /// transaction ended. Returns how many bytes it used.
    private func run(_ bytes: UnsafeRawBufferPointer, as session: ClientSession, parser: inout RequestParser,
                     settled: inout Int, failure: inout String?) -> Int {
        var position = 0
        while position < bytes.count {
            switch parser.parse(bytes, from: position, authenticated: true) {
            case .command(let end):
                parser.withArguments { spans in session.execute(Arguments(base: bytes.baseAddress!, spans: spans)) }
                // Held by CLIENT PAUSE: parsed again once the pause ends.
                if session.postponed { return position }
                position = end
            case .empty(let end):
                position = end
            case .inline(let start, let lineEnd, let end):
                // A master sends commands as arrays; a bare newline is a keepalive.
                guard bytes[start..<lineEnd].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else {
                    failure = "an inline command"
                    return position
                }
                position = end
            case .incomplete:
                return position
            case .error(let error):
                failure = String(decoding: error.message, as: UTF8.self)
                return position
            }
            if session.transaction == nil { settled = position }
        }
        return position
    }
}

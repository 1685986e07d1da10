import KeyDBRESP

/// One client's client-side caching settings (CLIENT TRACKING ON ...), Redis's
/// CLIENT_TRACKING_* flags.
public struct TrackingMode: Sendable {
    /// The client that receives the invalidations (0: this one).
    var redirect: Int64 = 0
    var broadcast = false
    var optIn = false
    var optOut = false
    var noLoop = false
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT), for the next command or transaction.
    var caching = false
    /// The redirect client is gone (flag `R`).
    var brokenRedirect = false
    /// BCAST's prefixes, in byte order; "" when none was given.
    var prefixes: [Bytes] = []
}

/// Client-side caching (Redis's tracking.c): who may hold which keys, and the
/// `invalidate` messages sent when those keys change.
///
/// In the default mode the table remembers, for each key name (every database
/// shares it, as in Redis), the clients that read it; a change sends each of
/// them the key and forgets them. In BCAST mode nothing is remembered per key:
/// the changes to keys under a prefix are collected, and every client of the
/// prefix gets them together once the batch of commands is done.
final class TrackingTable {
    /// Default mode: the ids of the clients that read each key.
    var readers: [Bytes: Set<Int64>] = [:]
    /// Entries across `readers` (INFO tracking_total_items).
    var items = 0
    /// The keys of `readers`, for picking one at random in O(1) when the table is over
    /// its limit; keys since forgotten stay until a pick or a compaction finds them gone.
    var keyOrder: [Bytes] = []
    /// BCAST mode, by prefix: its clients, and the keys changed under it since the
    /// last broadcast with the id of the client that changed each last (for NOLOOP).
    var prefixes: [Bytes: (clients: Set<Int64>, changed: [Bytes: Int64])] = [:]
    /// Some prefix has changed keys to broadcast.
    var hasChanges = false
    /// Clients with tracking on (INFO tracking_clients).
    var clients = 0
    /// Turns in a row that found the table over `tracking-table-max-keys`.
    var overLimitRuns = 0

    static let channel = Bytes("__redis__:invalidate")
}

/// What a tracking message carries.
private enum Invalidated {
    case keys([Bytes])
    /// Every key (FLUSHALL, FLUSHDB): a null in the protocol of the tracking client.
    case all(nullInRESP3: Bool)
}

extension Engine {
    // MARK: - Turning it on and off

    /// CLIENT TRACKING ON: `prefixes` already checked against each other and the client's.
    func enableTracking(_ client: ClientSession, _ mode: TrackingMode) {
        if client.tracking == nil { tracking.clients += 1 }
        var mode = mode
        // Switching options keeps a pending CLIENT CACHING, as Redis keeps its flag.
        mode.caching = client.tracking?.caching ?? false
        if mode.broadcast {
            // Prefixes add up while BCAST stays on, as Redis keeps a client's earlier ones.
            let given = mode.prefixes.isEmpty ? [Bytes("")] : mode.prefixes
            let known = client.tracking?.prefixes ?? []
            mode.prefixes = Array(Set(known + given)).sorted()
            for prefix in given {
                tracking.prefixes[prefix, default: (clients: [], changed: [:])].clients.insert(client.id)
            }
        } else {
            mode.prefixes = []
        }
        client.tracking = mode
        refreshTrackingSwitch()
    }

    /// CLIENT TRACKING OFF, RESET and disconnection.
    func disableTracking(_ client: ClientSession) {
        guard let mode = client.tracking else { return }
        for prefix in mode.prefixes {
            tracking.prefixes[prefix]?.clients.remove(client.id)
            if tracking.prefixes[prefix]?.clients.isEmpty == true { tracking.prefixes[prefix] = nil }
        }
        client.tracking = nil
        tracking.clients -= 1
        refreshTrackingSwitch()
    }

    /// Key changes are looked at while someone tracks, or keys remain remembered.
    private func refreshTrackingSwitch() {
        let on = tracking.clients > 0 || !tracking.readers.isEmpty
        if keyspace.tracksKeys != on { keyspace.tracksKeys = on }
    }

    // MARK: - Reads

    /// After a read-only command: the keys it named are remembered for its client
    /// (for a command inside a script, the script's declared keys, for its caller).
    func rememberReadKeys(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) {
        if client.isScriptClient {
            guard let run = scripting.current, let mode = run.caller.tracking, !mode.broadcast,
                  wantsCaching(mode) else { return }
            remember(run.declaredKeys, for: run.caller)
            return
        }
        guard let mode = client.tracking, !mode.broadcast, wantsCaching(mode) else { return }
        // The read-only script commands remember what their scripts read, not themselves.
        guard !command.flags.contains(.runsScript), !command.flags.contains(.pubsub) else { return }
        remember(command.keyReferences(args).map { Bytes(args[$0.index]) }, for: client)
    }

    /// OPTIN tracks only after CLIENT CACHING YES, OPTOUT all but after CLIENT CACHING NO.
    private func wantsCaching(_ mode: TrackingMode) -> Bool {
        !(mode.optIn && !mode.caching) && !(mode.optOut && mode.caching)
    }

    private func remember(_ keys: [Bytes], for client: ClientSession) {
        for key in keys {
            if tracking.readers[key] == nil { tracking.keyOrder.append(key) }
            if tracking.readers[key, default: []].insert(client.id).inserted { tracking.items += 1 }
        }
        if tracking.keyOrder.count > 2 * tracking.readers.count + 64 {
            var seen = Set<Bytes>()
            tracking.keyOrder = tracking.keyOrder.filter { tracking.readers[$0] != nil && seen.insert($0).inserted }
        }
    }

    // MARK: - Changes

    /// A key changed (Redis's trackingInvalidateKey): its readers are told and
    /// forgotten, and with `broadcast` it is collected for the BCAST prefixes it is under.
    /// `byCommand`: a command changed it, not expiry or eviction.
    func invalidateTracked(_ key: Bytes, byCommand: Bool = false, broadcast: Bool = true) {
        if broadcast && !tracking.prefixes.isEmpty { collectForBroadcast(key, byCommand: byCommand) }
        guard let ids = tracking.readers.removeValue(forKey: key) else { return }
        tracking.items -= ids.count
        if tracking.readers.isEmpty { refreshTrackingSwitch() }
        for id in ids.sorted() {
            guard let target = clients[id], let mode = target.tracking, !mode.broadcast else { continue }
            if mode.noLoop && target === currentClient { continue }
            // The running client's own invalidations follow its reply.
            if target === currentClient && callDepth > 0 {
                target.pendingInvalidations.append(key)
            } else {
                sendInvalidation(to: target, .keys([key]))
            }
        }
    }

    private func collectForBroadcast(_ key: Bytes, byCommand: Bool) {
        // NOLOOP spares a client the keys its own commands changed: not those that expired
        // or were evicted meanwhile, nor those its scripts changed (their commands run as
        // the script's client, never as a connection).
        let ownChange = byCommand && callDepth > 0 && scripting.current == nil
        let changedBy = ownChange ? currentClient?.id ?? 0 : 0
        for prefix in tracking.prefixes.keys where key.starts(with: prefix) {
            tracking.prefixes[prefix]?.changed[key] = changedBy
            tracking.hasChanges = true
        }
    }

    /// FLUSHALL and FLUSHDB: every tracking client is told that everything changed,
    /// and the table starts over. (Redis 7.0's SWAPDB tells no one.)
    func invalidateAllTracked() {
        if tracking.clients > 0 {
            for client in clients.values.sorted(by: { $0.id < $1.id }) where client.tracking != nil {
                if client === currentClient && callDepth > 0 {
                    client.pendingInvalidations.append(nil)
                } else {
                    sendInvalidation(to: client, .all(nullInRESP3: client.resp3))
                }
            }
        }
        tracking.readers = [:]
        tracking.items = 0
        tracking.keyOrder = []
        refreshTrackingSwitch()
    }

    /// Runs `body` (a blocked client served by another's command) as if `client` ran it:
    /// the invalidations of keys it tracks follow its reply, as Redis's do.
    func servingAsCurrent<R>(_ client: ClientSession, _ body: () -> R) -> R {
        guard tracking.clients > 0 else { return body() }
        let previousClient = currentClient
        currentClient = client
        callDepth += 1
        let result = body()
        callDepth -= 1
        flushPendingInvalidations(to: client)
        currentClient = previousClient
        return result
    }

    private func flushPendingInvalidations(to client: ClientSession) {
        guard !client.pendingInvalidations.isEmpty else { return }
        let pending = client.pendingInvalidations
        client.pendingInvalidations = []
        for key in pending {
            sendInvalidation(to: client, key.map { .keys([$0]) } ?? .all(nullInRESP3: client.resp3))
        }
    }

    /// After a command: the running client's own invalidations, after its reply;
    /// and CLIENT CACHING's one-command effect ends (not inside MULTI, nor after CLIENT itself).
    /// A script that paused inside the command ends it later (Scripting.continueScript).
    func afterTrackedCommand(_ client: ClientSession) {
        guard !client.runsScript else { return }
        flushPendingInvalidations(to: client)
        if client.tracking?.caching == true && client.transaction == nil
            && client.lookedUpCommand.map({ $0.fullName.hasPrefix("client|") }) != true {
            client.tracking?.caching = false
        }
    }

    /// Once a batch of commands is done: each BCAST prefix's changed keys, in byte
    /// order, to each of its clients (less, for NOLOOP, those it changed itself).
    func broadcastTrackedChanges() {
        guard tracking.hasChanges else { return }
        tracking.hasChanges = false
        for prefix in tracking.prefixes.keys.sorted() {
            guard let state = tracking.prefixes[prefix], !state.changed.isEmpty else { continue }
            tracking.prefixes[prefix]?.changed = [:]
            let changed = state.changed.sorted { $0.key < $1.key }
            for id in state.clients.sorted() {
                guard let client = clients[id], let mode = client.tracking else { continue }
                let keys = changed.filter { !mode.noLoop || $0.value != id }.map(\.key)
                if !keys.isEmpty { sendInvalidation(to: client, .keys(keys)) }
            }
        }
    }

    /// Keeps the table within `tracking-table-max-keys`: over it, keys are dropped at
    /// random (their readers told, as if they changed), with more effort each turn it stays over.
    func limitTrackingTable() {
        let limit = configuration.trackingTableMaxKeys
        guard limit > 0, tracking.readers.count > limit else {
            tracking.overLimitRuns = 0
            return
        }
        var effort = 100 * (tracking.overLimitRuns + 1)
        while effort > 0, !tracking.keyOrder.isEmpty {
            effort -= 1
            let pick = Int.random(in: 0..<tracking.keyOrder.count)
            tracking.keyOrder.swapAt(pick, tracking.keyOrder.count - 1)
            let key = tracking.keyOrder.removeLast()
            invalidateTracked(key, broadcast: false)
            if tracking.readers.count <= limit {
                tracking.overLimitRuns = 0
                return
            }
        }
        tracking.overLimitRuns += 1
    }

    // MARK: - Sending

    /// Redis's sendTrackingMessage: to the client itself over RESP3, or to its redirect
    /// client (RESP3, or a RESP2 subscriber, as a message on `__redis__:invalidate`).
    private func sendInvalidation(to client: ClientSession, _ invalidated: Invalidated) {
        var target = client
        var redirected = false
        if let redirect = client.tracking?.redirect, redirect != 0 {
            guard let found = clients[redirect] else {
                client.tracking?.brokenRedirect = true
                if client.resp3 {
                    client.push {
                        client.replyPushHeader(2)
                        client.reply.writeBulk("tracking-redir-broken")
                        client.reply.writeIntegerReply(redirect)
                    }
                    deliver(to: client)
                }
                return
            }
            target = found
            redirected = true
        }
        // RESP2 has no way to push to the client itself.
        guard target.resp3 || (redirected && target.isSubscribed) else { return }
        target.push {
            if target.resp3 {
                target.replyPushHeader(2)
                target.reply.writeBulk("invalidate")
            } else {
                target.reply.writeArrayHeader(3)
                target.reply.writeBulk("message")
                target.replyBulk(TrackingTable.channel)
            }
            switch invalidated {
            case .keys(let keys):
                target.reply.writeBulkArray(keys)
            case .all(let nullInRESP3):
                if nullInRESP3 { target.reply.writeRESP3Null() } else { target.reply.writeNullBulk() }
            }
        }
        deliver(to: target)
    }
}

extension ClientSession {
    /// CLIENT LIST `redir=`: the redirect client while tracking, else -1.
    var trackingRedirect: Int64 {
        guard let tracking else { return -1 }
        return tracking.redirect
    }
}

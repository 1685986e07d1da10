import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the engine applies its users: checks at dispatch, logins, and the
/// consequences of changing or removing a user for the clients using it.
extension Engine {
    /// Nil when `client` may run `command`; otherwise the denial, logged as Redis logs it.
    func aclDenial(_ command: CommandSpec, _ args: Arguments, for client: ClientSession, context: ACLLog.Context) -> ACLDenial? {
        guard let denial = client.user.check(command, args) else { return nil }
        let object: [UInt8] = switch denial {
        case .command: Array(command.fullName.utf8)
        case .key(let index), .channel(let index): args.bytes(index)
        }
        let reason: ACLLog.Reason = switch denial {
        case .command: .command
        case .key: .key
        case .channel: .channel
        }
        logACLEvent(reason, context: context, object: object, userName: client.user.name, client: client)
        return denial
    }

    func logACLEvent(_ reason: ACLLog.Reason, context: ACLLog.Context, object: [UInt8], userName: [UInt8], client: ClientSession) {
        let now = clock?() ?? Clock.milliseconds()
        acl.log.add(ACLLog.Entry(count: 1, reason: reason, context: context, object: object, userName: userName,
                                 createdAt: now, clientInfo: client.infoLine(now: Clock.milliseconds(), current: client)))
    }

    /// AUTH / HELLO AUTH: logs `client` in as `userName`, or logs the failure (ACL LOG reason "auth").
    /// A missing user and a wrong password fail alike, so the reply does not tell which.
    func authenticate(_ client: ClientSession, userName: [UInt8], password: UnsafeRawBufferPointer, command: [UInt8]) -> Bool {
        guard let user = acl.user(named: userName), user.accepts(password) else {
            logACLEvent(.auth, context: client.transaction == nil ? .toplevel : .multi, object: command, userName: userName, client: client)
            return false
        }
        client.user = user
        client.authenticated = true
        client.aclUnrestricted = user.isUnrestricted
        return true
    }

    /// After any change to users: each client's cached "no checks needed" answer.
    func refreshPermissions() {
        for client in clients.values { client.aclUnrestricted = client.isInternal || client.user.isUnrestricted }
    }

    /// A removed user's clients fall back to the default user, unauthenticated, and
    /// are closed — the one running the command once its reply is written.
    func logOut(clientsOf user: ACLUser, current: ClientSession?) {
        for client in clients.values where client.user === user {
            client.user = acl.defaultUser
            client.authenticated = false
            client.aclUnrestricted = acl.defaultUser.isUnrestricted
            if client === current {
                client.closeAfterReply = true
            } else {
                disconnect(client)
            }
        }
    }

    /// ACL SETUSER that takes channels away closes that user's subscribers whose
    /// subscriptions the new rules would refuse, as Redis does.
    func closeSubscribersLosingChannels(of current: ACLUser, updated: ACLUser) {
        guard !updated.selectors.contains(where: \.allChannels) else { return }
        for client in clients.values where client.user === current && client.isSubscribed && !client.killRequested {
            let refusedChannel = { (channel: Bytes) in !channel.withUnsafeBytes { updated.allowsChannel($0, isPattern: false) } }
            // Shard channels are held to the channel rules too (Redis's ACLKillPubsubClientsIfNeeded).
            let refused = client.subscribedPatterns.contains { pattern in
                !pattern.withUnsafeBytes { updated.allowsChannel($0, isPattern: true) }
            } || client.subscribedChannels.contains(where: refusedChannel) || client.subscribedShardChannels.contains(where: refusedChannel)
            if refused { disconnect(client) }
        }
    }

    // MARK: - The ACL file

    /// `aclfile`, resolved against the working directory as Redis opens it; nil when not set.
    public var aclFilePath: String? { configuration.aclFile.isEmpty ? nil : configuration.aclFile }

    /// Users from `user` config lines, then the aclfile; the text Redis logs before exiting on failure.
    public func loadUsersAtStartup() -> String? {
        if !configuration.aclUsers.isEmpty && aclFilePath != nil {
            return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
        }
        for words in configuration.aclUsers {
            guard let name = words.first, !ACLSelector.hasSpaces(Array(name.utf8)) else { return "Spaces not allowed in ACL usernames" }
            var rules = words.dropFirst().map { Array($0.utf8) }
            // A `user default ...` line starts the default user over.
            if name == "default" { rules.insert(Array("reset".utf8), at: 0) }
            if let failure = acl.setUser(Array(name.utf8), rules: rules, replacing: { _, _ in }) {
                return "Error loading ACL user '\(name)': \(String(decoding: failure, as: UTF8.self))"
            }
        }
        if let path = aclFilePath, case .failure(let error) = loadACLFile(path) {
            return "Aborting Redis startup because of ACL errors: \(error.message)"
        }
        refreshPermissions()
        return nil
    }

    /// ACL LOAD: all or nothing. Clients of every user but the default one are logged out.
    public func loadACLFile(_ path: String) -> Result<Void, ACLLoadError> {
        guard let text = SmallFile.read(path) else {
            return .failure(ACLLoadError(message: ErrorReply.aclLoadOpenFailed(path, String(cString: strerror(errno)))))
        }
        switch acl.parseUsers(text, fileName: path) {
        case .failure(let error):
            return .failure(error)
        case .success(let loaded):
            for user in acl.replaceUsers(with: loaded) { logOut(clientsOf: user, current: nil) }
            refreshPermissions()
            return .success(())
        }
    }

    /// ACL SAVE: replaces the file whole, as CONFIG REWRITE does.
    public func saveACLFile(_ path: String) -> Bool {
        guard let failure = SmallFile.replace(path, with: acl.fileText()) else { return true }
        logWarning?("ACL SAVE could not \(failure.step) the ACL file: \(failure.error)")
        return false
    }
}

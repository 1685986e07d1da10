import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CONFIG GET / SET / RESETSTAT, over the `Configuration.options` table.
enum ConfigCommand {
    /// CONFIG GET pattern [pattern ...]: name/value pairs, each option once.
    static func get(_ c: ClientSession, _ args: Arguments) {
        var pairs: [(String, String)] = []
        var seen = Set<String>()
        for index in 2..<args.count {
            let pattern = args.string(index)
            // A plain name is answered with the name as the client typed it, as Redis does.
            if !pattern.contains(where: { "*?[".contains($0) }) {
                if let option = Configuration.option(named: pattern), seen.insert(option.name).inserted {
                    pairs.append((pattern, option.get(c.engine.configuration)))
                }
                continue
            }
            for option in Configuration.options where !option.isHidden && GlobPattern.matches(pattern, option.name, ignoringCase: true) {
                if seen.insert(option.name).inserted { pairs.append((option.name, option.get(c.engine.configuration))) }
            }
        }
        c.replyMapHeader(pairs.count)
        for (name, value) in pairs {
            c.reply.writeBulk(name)
            c.reply.writeBulk(value)
        }
    }

    /// CONFIG SET name value [name value ...]: all or nothing.
    static func set(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 0 else { return c.replyError(ErrorReply.syntax) }
        // Passwords never reach the slow log or monitors, even when the command fails.
        for index in stride(from: 2, to: args.count, by: 2) where sensitive.contains(args.string(index).lowercased()) {
            c.redact(index + 1)
        }
        var updated = c.engine.configuration
        var named = Set<String>()
        for index in stride(from: 2, to: args.count, by: 2) {
            let name = args.string(index)
            guard let option = Configuration.option(named: name) else {
                return c.replyError(ErrorReply.configSetUnknown(name))
            }
            if option.immutable {
                return c.replyError(ErrorReply.configSetFailed(name, "can't set immutable config"))
            }
            if option.isProtected && !c.engine.configuration.enableProtectedConfigs.allows(c) {
                return c.replyError(ErrorReply.configSetFailed(name, "can't set protected config"))
            }
            guard named.insert(option.name).inserted else {
                return c.replyError(ErrorReply.configSetFailed(name, "duplicate parameter"))
            }
            let value = args.string(index + 1)
            let words = option.multiWord ? splitWords(value) : [value]
            do {
                try option.set(&updated, words)
            } catch {
                return c.replyError(ErrorReply.configSetFailed(option.name, error.message))
            }
        }
        let current = c.engine.configuration
        if updated.port != current.port || updated.bind != current.bind, let move = c.engine.moveListeners {
            if let failure = move(updated.bind, updated.port) {
                let (name, text) = updated.port != current.port
                    ? ("port", "Unable to listen on this port. Check server logs.")
                    : ("bind", "Failed to bind to specified addresses.")
                c.engine.logWarning?("CONFIG SET \(name): \(failure)")
                return c.replyError(ErrorReply.configSetFailed(name, text))
            }
            c.engine.serverFacts.tcpPort = updated.port
        }
        if updated.appendOnly != c.engine.configuration.appendOnly, let persistence = c.engine.persistence,
           let failure = persistence.setAppendOnly(updated.appendOnly) {
            // All or nothing: listeners moved above go back.
            if updated.port != current.port || updated.bind != current.bind { _ = c.engine.moveListeners?(current.bind, current.port) }
            return c.replyError(ErrorReply.configSetFailed("appendonly", failure))
        }
        let lowered = updated.maxMemory != c.engine.configuration.maxMemory && updated.maxMemory > 0
        c.engine.configuration = updated
        if lowered && c.engine.usedMemory() > Int(updated.maxMemory) {
            c.engine.logWarning?("maxmemory lowered to \(updated.maxMemory) bytes, below the \(c.engine.usedMemory()) in use: keys are evicted now, or writes refused under noeviction")
            c.engine.performEvictions()
        }
        c.replyOK()
    }

    /// Settings whose values are credentials (Redis's sensitive configs).
    static let sensitive: Set<String> = ["requirepass", "masterauth", "masteruser"]

    static func resetstat(_ c: ClientSession, _ args: Arguments) {
        c.engine.resetStatistics()
        c.replyOK()
    }

    /// CONFIG REWRITE: the running settings (and users, without an aclfile) written back
    /// into the config file the server started with, its comments and order kept.
    static func rewrite(_ c: ClientSession, _ args: Arguments) {
        let engine = c.engine
        let path = engine.configuration.configFile
        guard !path.isEmpty else { return c.replyError(ErrorReply.noConfigFile) }
        // A missing file is written anew, as Redis does; an unreadable one is an error.
        let old: [UInt8]
        if let bytes = SmallFile.read(path) {
            old = bytes
        } else if errno == ENOENT {
            old = []
        } else {
            let reason = String(cString: strerror(errno))
            engine.logWarning?("CONFIG REWRITE failed: \(reason)")
            return c.replyError(ErrorReply.configRewriteFailed(reason))
        }
        let users = engine.acl.sortedUsers.map { "user \($0.nameText) \($0.describe(table: engine.commands))" }
        let text = ConfigRewrite.rewrite(String(decoding: old, as: UTF8.self), configuration: engine.configuration,
                                         directory: SmallFile.absolute(engine.configuration.dir), users: users)
        if let failure = SmallFile.replace(path, with: Array(text.utf8)) {
            engine.logWarning?("CONFIG REWRITE failed: \(failure.error)")
            return c.replyError(ErrorReply.configRewriteFailed(failure.error))
        }
        engine.logNotice?("CONFIG REWRITE executed with success.")
        c.replyOK()
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "CONFIG", lines: [
            "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
            "RESETSTAT", "    Reset statistics reported by the INFO command.",
            "REWRITE", "    Rewrite the configuration file.",
        ])
    }

    /// A multi-word setting given as one argument ("900 1 300 10"), split like redis.conf does.
    static func splitWords(_ value: String) -> [String] {
        value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }
}

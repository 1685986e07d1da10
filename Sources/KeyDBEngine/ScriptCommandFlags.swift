import KeyDBRESP

/// What an EVAL or FCALL is, as Redis's evalGetCommandFlags / fcallGetCommandFlags
/// see it before running: a script or function that declared flags is a write
/// only if it did not declare `no-writes`; one in compatibility mode (no shebang)
/// or not found is what its command's row says.
extension Engine {
    /// Whether the command may write, for CLIENT PAUSE WRITE; nil when the row decides.
    func declaredScriptWrites(_ command: CommandSpec, _ args: Arguments) -> Bool? {
        declaredScriptFlags(command, args).map { !$0.contains(.noWrites) }
    }

    /// The flags a command queued in MULTI counts with (for EXEC under CLIENT PAUSE
    /// WRITE and maxmemory): a script's declared flags replace its row's write,
    /// may-replicate, deny-oom and stale flags, as in Redis's scriptFlagsToCmdFlags.
    func queuedFlags(_ command: CommandSpec, _ args: Arguments) -> CommandFlags {
        guard let declared = declaredScriptFlags(command, args) else { return command.flags }
        var flags = command.flags.subtracting([.write, .mayReplicate, .denyOOM, .stale])
        if !declared.contains(.noWrites) { flags.insert(.write) }
        if declared.isDisjoint(with: [.noWrites, .allowOOM]) { flags.insert(.denyOOM) }
        if declared.contains(.allowStale) { flags.insert(.stale) }
        return flags
    }

    /// The flags the script or function declared; nil in compatibility mode, not found, or not a script.
    private func declaredScriptFlags(_ command: CommandSpec, _ args: Arguments) -> ScriptFlags? {
        guard command.flags.contains(.runsScript), args.count > 1 else { return nil }
        let flags: ScriptFlags?
        switch command.name {
        case "eval", "eval_ro":
            let body = args[1]
            if let cached = scripting.scripts[ScriptDigest(sha1: SHA1.words(body))] {
                flags = cached.flags
            } else {
                flags = try? ScriptFlags.shebang(of: Array(body)).get().0
            }
        case "evalsha", "evalsha_ro":
            flags = ScriptDigest(hex: args[1]).flatMap { scripting.scripts[$0] }?.flags
        case "fcall", "fcall_ro":
            flags = functions.function(named: args.string(1))?.flags
        default:
            flags = nil
        }
        guard let flags, !flags.contains(.evalCompat) else { return nil }
        return flags
    }
}

import KeyDBRESP

extension Engine {
    /// Why a logged command cannot be replayed.
    public enum ReplayFailure: Error, Equatable {
        case unknownCommand(String)
        case wrongArity(String)
    }

    /// Runs one command read back from the log, as Redis's loader does: no
    /// authentication, no statistics, no reply kept, and never blocking.
    public func replay(_ args: Arguments, for client: ClientSession) throws(ReplayFailure) {
        guard args.count > 0, let command = commands.lookup(args) else {
            throw .unknownCommand(args.count > 0 ? args.string(0) : "")
        }
        guard command.acceptsArgumentCount(args.count) else { throw .wrongArity(command.fullName) }
        client.now = clock?() ?? Clock.milliseconds()
        client.lastCommandSpec = command
        client.denyBlocking = true
        command.handler?(client, args)
        client.reply.clear()
    }
}

import KeyDBRESP

/// Every command the server knows, by lowercase name. The rows themselves are
/// in `CommandTable+Standard.swift`; this type only finds them.
public struct CommandTable: Sendable {
    /// Top-level commands, in table order.
    public let commands: [CommandSpec]
    private let byName: [Bytes: CommandSpec]
    private let subcommandsByName: [Bytes: [Bytes: CommandSpec]]

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        var byName: [Bytes: CommandSpec] = [:]
        var subcommands: [Bytes: [Bytes: CommandSpec]] = [:]
        for command in commands {
            precondition(byName[Bytes(command.name)] == nil, "command \(command.name) listed twice")
            byName[Bytes(command.name)] = command
            if command.isContainer {
                subcommands[Bytes(command.name)] = Dictionary(uniqueKeysWithValues: command.subcommands.map { (Bytes($0.name), $0) })
            }
        }
        self.byName = byName
        self.subcommandsByName = subcommands
    }

    /// The command argv names, or the container itself when its subcommand is
    /// missing (so the arity check reports it); nil when unknown.
    @inlinable public func lookup(_ args: Arguments) -> CommandSpec? {
        guard let command = find(args[0]) else { return nil }
        guard command.isContainer else { return command }
        guard args.count >= 2 else { return command }
        return subcommand(args[1], of: command)
    }

    /// A top-level command by name, any case.
    public func find(_ name: UnsafeRawBufferPointer) -> CommandSpec? {
        withLowercased(name) { byName[$0] }
    }

    public func find(_ name: String) -> CommandSpec? {
        byName[Bytes(name.lowercased())]
    }

    public func subcommand(_ name: UnsafeRawBufferPointer, of container: CommandSpec) -> CommandSpec? {
        withLowercased(name) { subcommandsByName[Bytes(container.name)]?[$0] }
    }

    /// The container command `name` names, if it is one (for "unknown subcommand").
    public func container(named name: UnsafeRawBufferPointer) -> CommandSpec? {
        find(name).flatMap { $0.isContainer ? $0 : nil }
    }

    public var count: Int { commands.count }

    /// Every command and subcommand.
    public var allSpecs: [CommandSpec] { commands.flatMap { [$0] + $0.subcommands } }

    private func withLowercased<R>(_ name: UnsafeRawBufferPointer, _ body: (Bytes) -> R?) -> R? {
        guard name.count <= 32 else { return nil }  // no command name is longer
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            for i in 0..<name.count { scratch[i] = lowercasedASCII(name[i]) }
            return body(Bytes(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<name.count])))
        }
    }
}

@inlinable func lowercasedASCII(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
}

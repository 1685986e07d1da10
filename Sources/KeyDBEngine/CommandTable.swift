import KeyDBRESP

/// Every command the server knows, by lowercase name. The rows themselves are
/// in `CommandTable+Standard.swift`; this type only finds them.
public struct CommandTable: Sendable {
    /// Top-level commands, in table order.
    public let commands: [CommandSpec]
    private let byName: NameIndex
    private let subcommandsByName: [String: NameIndex]

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        byName = NameIndex(commands)
        var subcommands: [String: NameIndex] = [:]
        for command in commands where command.isContainer {
            subcommands[command.name] = NameIndex(command.subcommands)
        }
        subcommandsByName = subcommands
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
        withLowercased(name) { byName.find($0) }
    }

    public func find(_ name: String) -> CommandSpec? {
        var lower = name.lowercased()
        return lower.withUTF8 { byName.find(UnsafeRawBufferPointer($0)) }
    }

    public func subcommand(_ name: UnsafeRawBufferPointer, of container: CommandSpec) -> CommandSpec? {
        guard let index = subcommandsByName[container.name] else { return nil }
        return withLowercased(name) { index.find($0) }
    }

    /// The container command `name` names, if it is one (for "unknown subcommand").
    public func container(named name: UnsafeRawBufferPointer) -> CommandSpec? {
        find(name).flatMap { $0.isContainer ? $0 : nil }
    }

    public var count: Int { commands.count }

    /// Every command and subcommand.
    public var allSpecs: [CommandSpec] { commands.flatMap { [$0] + $0.subcommands } }

    private func withLowercased<R>(_ name: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R?) -> R? {
        guard name.count <= 32 else { return nil }  // no command name is longer
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            for i in 0..<name.count { scratch[i] = lowercasedASCII(name[i]) }
            return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<name.count]))
        }
    }
}

/// Command names → specs: open addressing over the keyspace's hash, which
/// costs a fraction of `Hasher` on these short names (this runs for every command).
private struct NameIndex: Sendable {
    private let names: [Bytes?]
    private let specs: [CommandSpec?]
    private let mask: Int

    init(_ commands: [CommandSpec]) {
        var size = 8
        while size < commands.count * 4 { size *= 2 }
        var names = [Bytes?](repeating: nil, count: size)
        var specs = [CommandSpec?](repeating: nil, count: size)
        for command in commands {
            let name = Bytes(command.name)
            var slot = Int(truncatingIfNeeded: KeyHash.hash(name)) & (size - 1)
            while let taken = names[slot] {
                precondition(taken != name, "command \(command.name) listed twice")
                slot = (slot + 1) & (size - 1)
            }
            names[slot] = name
            specs[slot] = command
        }
        self.names = names
        self.specs = specs
        self.mask = size - 1
    }

    /// The spec named `name` (already lowercase).
    func find(_ name: UnsafeRawBufferPointer) -> CommandSpec? {
        var slot = Int(truncatingIfNeeded: KeyHash.hash(name)) & mask
        while let candidate = names[slot] {
            if candidate.equals(name) { return specs[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }
}

@inlinable func lowercasedASCII(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
}

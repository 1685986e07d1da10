import KeyDBRESP

/// Every command the server knows, by lowercase name. The rows themselves are
/// in `CommandTable+Standard.swift`; this type only finds them.
public struct CommandTable: Sendable {
    /// Top-level commands, in table order.
    public let commands: [CommandSpec]
    private let byName: NameIndex
    /// Each container's subcommands, at the position its `byName` entry names.
    private let subcommandIndexes: [NameIndex]

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        allSpecs = commands.flatMap { [$0] + $0.subcommands }
        for (id, spec) in allSpecs.enumerated() {
            spec.id = id
            spec.keySpecs = Self.keySpecs[spec.fullName] ?? []
            spec.tips = Self.tips[spec.fullName] ?? []
        }
        let containers = commands.filter(\.isContainer)
        subcommandIndexes = containers.map { NameIndex($0.subcommands) }
        byName = NameIndex(commands) { command in containers.firstIndex { $0 === command } ?? -1 }
    }

    /// The command argv names, or the container itself when its subcommand is
    /// missing (so the arity check reports it); nil when unknown.
    @inlinable public func lookup(_ args: Arguments) -> CommandSpec? {
        borrowedLookup(args)?.takeUnretainedValue()
    }

    /// `lookup` without a retain: the table keeps every spec alive, and the
    /// dispatcher borrows it (one retain/release pair less per command).
    public func borrowedLookup(_ args: Arguments) -> Unmanaged<CommandSpec>? {
        guard let entry = byName.find(args[0]) else { return nil }
        guard entry.subcommands >= 0, args.count >= 2 else { return entry.spec }
        return subcommandIndexes[entry.subcommands].find(args[1])?.spec
    }

    /// A top-level command by name, any case.
    public func find(_ name: UnsafeRawBufferPointer) -> CommandSpec? {
        byName.find(name)?.spec.takeUnretainedValue()
    }

    public func find(_ name: String) -> CommandSpec? {
        var name = name
        return name.withUTF8 { find(UnsafeRawBufferPointer($0)) }
    }

    public func subcommand(_ name: UnsafeRawBufferPointer, of container: CommandSpec) -> CommandSpec? {
        guard let index = byName.find(Bytes(container.name))?.subcommands, index >= 0 else { return nil }
        return subcommandIndexes[index].find(name)?.spec.takeUnretainedValue()
    }

    /// The container command `name` names, if it is one (for "unknown subcommand").
    public func container(named name: UnsafeRawBufferPointer) -> CommandSpec? {
        guard let entry = byName.find(name), entry.subcommands >= 0 else { return nil }
        return entry.spec.takeUnretainedValue()
    }

    public var count: Int { commands.count }

    /// Every command and subcommand.
    /// The full names of the commands and subcommands in `category` (ACL CAT, COMMAND LIST FILTERBY ACLCAT).
    public func names(in category: ACLCategories) -> [String] {
        allSpecs.filter { $0.categories.contains(category) }.map(\.fullName)
    }

    /// Every command and subcommand, in table order: a spec's `id` is its index here.
    public let allSpecs: [CommandSpec]
}

/// Command names → specs: open addressing over the keyspace's hash, which
/// costs a fraction of `Hasher` on these short names (this runs for every command).
private struct NameIndex: Sendable {
    struct Found: Sendable {
        /// Unretained: the table's `commands` (and their `subcommands`) own the specs.
        var spec: Unmanaged<CommandSpec>
        /// The container's index in `subcommandIndexes`, or -1.
        var subcommands: Int
    }

    private let names: [Bytes?]
    private let found: [Found]
    private let mask: Int

    /// `subcommands(command)` gives a container's position in the table's subcommand indexes.
    init(_ commands: [CommandSpec], subcommands: (CommandSpec) -> Int = { _ in -1 }) {
        var size = 8
        while size < commands.count * 4 { size *= 2 }
        var names = [Bytes?](repeating: nil, count: size)
        var found = [Found?](repeating: nil, count: size)
        for command in commands {
            let name = Bytes(command.name)
            var slot = Int(truncatingIfNeeded: KeyHash.hash(name)) & (size - 1)
            while let taken = names[slot] {
                precondition(taken != name, "command \(command.name) listed twice")
                slot = (slot + 1) & (size - 1)
            }
            names[slot] = name
            found[slot] = Found(spec: Unmanaged.passUnretained(command), subcommands: subcommands(command))
        }
        self.names = names
        // Free slots are never read (their name is nil): any spec fills them.
        self.found = found.map { $0 ?? Found(spec: Unmanaged.passUnretained(commands[0]), subcommands: -1) }
        self.mask = size - 1
    }

    func find(_ name: Bytes) -> Found? {
        name.withUnsafeBytes { find($0) }
    }

    /// The entry named `name`, in any case.
    func find(_ name: UnsafeRawBufferPointer) -> Found? {
        guard name.count <= 32 else { return nil }  // no command name is longer
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { buffer -> Found? in
            for i in 0..<name.count { buffer[i] = lowercasedASCII(name[i]) }
            let lower = UnsafeRawBufferPointer(rebasing: buffer[0..<name.count])
            var slot = Int(truncatingIfNeeded: KeyHash.hash(lower)) & mask
            while let candidate = names[slot] {
                if candidate.equals(lower) { return found[slot] }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }
}

@inlinable func lowercasedASCII(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
}

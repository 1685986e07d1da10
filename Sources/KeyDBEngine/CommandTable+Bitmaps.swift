/// The command table's bitmap rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var bitmapCommands: [CommandSpec] { [
        CommandSpec("setbit", arity: 4, flags: [.write, .denyOOM], keys: .one, group: "bitmap", since: "2.2.0", summary: "Sets or clears one bit of a string value.", handler: BitCommands.setbit),
        CommandSpec("getbit", arity: 3, flags: [.readonly, .fast], keys: .one, group: "bitmap", since: "2.2.0", summary: "Returns one bit of a string value.", handler: BitCommands.getbit),
        CommandSpec("bitcount", arity: -2, flags: [.readonly], keys: .one, group: "bitmap", since: "2.6.0", summary: "Counts the set bits of a string, or of a range of it.", complexity: "O(N)", handler: BitCountCommands.bitcount),
        CommandSpec("bitpos", arity: -3, flags: [.readonly], keys: .one, group: "bitmap", since: "2.8.7", summary: "Finds the first set or clear bit of a string, or of a range of it.", complexity: "O(N)", handler: BitCountCommands.bitpos),
        CommandSpec("bitop", arity: -4, flags: [.write, .denyOOM], keys: KeyPositions(first: 2, last: -1, step: 1), group: "bitmap", since: "2.6.0", summary: "Stores a bitwise AND, OR, XOR or NOT of strings in a key.", complexity: "O(N)", handler: BitOpCommand.bitop),
        CommandSpec("bitfield", arity: -2, flags: [.write, .denyOOM], keys: .one, group: "bitmap", since: "3.2.0", summary: "Reads, sets and increments integers at bit offsets of a string.", complexity: "O(1) for each subcommand specified", handler: BitFieldCommand.bitfield),
        CommandSpec("bitfield_ro", arity: -2, flags: [.readonly, .fast], keys: .one, group: "bitmap", since: "6.0.0", summary: "Reads integers at bit offsets of a string (BITFIELD's GET only).", complexity: "O(1) for each subcommand specified", handler: BitFieldCommand.bitfieldRO),
    ] }
}

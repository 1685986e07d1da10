/// The command table's HyperLogLog rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var hyperLogLogCommands: [CommandSpec] { [
        CommandSpec("pfadd", arity: -2, flags: [.write, .denyOOM, .fast], keys: .one, group: "hyperloglog", since: "2.8.9", summary: "Adds elements to a HyperLogLog.", complexity: "O(1) to add every element.", handler: HyperLogLogCommands.pfadd),
        CommandSpec("pfcount", arity: -2, flags: [.readonly, .mayReplicate], keys: .all, group: "hyperloglog", since: "2.8.9", summary: "Estimates how many distinct elements HyperLogLogs have seen.", complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", handler: HyperLogLogCommands.pfcount),
        CommandSpec("pfmerge", arity: -2, flags: [.write, .denyOOM], keys: .all, group: "hyperloglog", since: "2.8.9", summary: "Merges HyperLogLogs into one.", complexity: "O(N) to merge N HyperLogLogs, but with high constant times.", handler: HyperLogLogCommands.pfmerge),
        CommandSpec("pfdebug", arity: 3, flags: [.write, .denyOOM, .admin], keys: KeyPositions(first: 2, last: 2, step: 1), group: "hyperloglog", since: "2.8.9", summary: "Inspects a HyperLogLog's registers and encoding (for debugging).", complexity: "N/A", handler: HyperLogLogCommands.pfdebug),
        CommandSpec("pfselftest", arity: 1, flags: [.admin], group: "hyperloglog", since: "2.8.9", summary: "Runs the HyperLogLog self test.", complexity: "N/A", handler: HyperLogLogCommands.pfselftest),
    ] }
}

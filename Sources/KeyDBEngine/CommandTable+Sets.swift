/// The command table's set rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var setCommands: [CommandSpec] { [
        CommandSpec("sadd", arity: -3, flags: [.write, .denyOOM, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Adds members to a set.", complexity: "O(1) for each element added", handler: SetCommands.sadd),
        CommandSpec("srem", arity: -3, flags: [.write, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Removes members from a set.", complexity: "O(N) where N is the number of members to be removed.", handler: SetCommands.srem),
        CommandSpec("smove", arity: 4, flags: [.write, .fast, .touchesOwnKeys], keys: KeyPositions(first: 1, last: 2, step: 1), group: "set", since: "1.0.0", summary: "Moves a member from one set to another.", handler: SetCommands.smove),
        CommandSpec("scard", arity: 2, flags: [.readonly, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Returns the number of members in a set.", handler: SetCommands.scard),
        CommandSpec("sismember", arity: 3, flags: [.readonly, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Tells whether a value is a member of a set.", handler: SetCommands.sismember),
        CommandSpec("smismember", arity: -3, flags: [.readonly, .fast], keys: .one, group: "set", since: "6.2.0", summary: "Tells, for each of several values, whether it is a member of a set.", complexity: "O(N) in the number of values tested", handler: SetCommands.smismember),
        CommandSpec("smembers", arity: 2, flags: [.readonly], keys: .one, group: "set", since: "1.0.0", summary: "Returns every member of a set.", complexity: "O(N) where N is the set cardinality.", handler: SetCommands.smembers),
        CommandSpec("spop", arity: -2, flags: [.write, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Removes and returns random members of a set.", complexity: "O(1) without a count, else O(N) in the count", handler: SetCommands.spop),
        CommandSpec("srandmember", arity: -2, flags: [.readonly], keys: .one, group: "set", since: "1.0.0", summary: "Returns random members of a set.", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", handler: SetCommands.srandmember),
        CommandSpec("sinter", arity: -2, flags: [.readonly], keys: .all, group: "set", since: "1.0.0", summary: "Returns the members common to every given set.", complexity: "O(N*M): N the smallest set's size, M the number of sets", handler: SetCommands.sinter),
        // Keys follow a count (numkeys): Redis lists them as movable, with no fixed range.
        CommandSpec("sintercard", arity: -3, flags: [.readonly], keys: .none, group: "set", since: "7.0.0", summary: "Counts the members common to every given set, up to an optional limit.", complexity: "O(N*M): N the smallest set's size, M the number of sets", handler: SetCommands.sintercard),
        CommandSpec("sinterstore", arity: -3, flags: [.write, .denyOOM], keys: .all, group: "set", since: "1.0.0", summary: "Stores the members common to every given set in a key.", complexity: "O(N*M): N the smallest set's size, M the number of sets", handler: SetCommands.sinterstore),
        CommandSpec("sunion", arity: -2, flags: [.readonly], keys: .all, group: "set", since: "1.0.0", summary: "Returns the members of any of the given sets.", complexity: "O(N) in the total size of the sets", handler: SetCommands.sunion),
        CommandSpec("sunionstore", arity: -3, flags: [.write, .denyOOM], keys: .all, group: "set", since: "1.0.0", summary: "Stores the members of any of the given sets in a key.", complexity: "O(N) in the total size of the sets", handler: SetCommands.sunionstore),
        CommandSpec("sdiff", arity: -2, flags: [.readonly], keys: .all, group: "set", since: "1.0.0", summary: "Returns the members of the first set that no other given set has.", complexity: "O(N) in the total size of the sets", handler: SetCommands.sdiff),
        CommandSpec("sdiffstore", arity: -3, flags: [.write, .denyOOM], keys: .all, group: "set", since: "1.0.0", summary: "Stores the members of the first set that no other given set has in a key.", complexity: "O(N) in the total size of the sets", handler: SetCommands.sdiffstore),
        CommandSpec("sscan", arity: -3, flags: [.readonly], keys: .one, group: "set", since: "2.8.0", summary: "Iterates over the members of a set.", complexity: "O(1) per call; O(N) over a whole iteration", handler: SetCommands.sscan),
    ] }
}

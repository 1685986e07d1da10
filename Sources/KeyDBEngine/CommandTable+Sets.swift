/// The command table's set rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var setCommands: [CommandSpec] { [
        CommandSpec("sadd", arity: -3, flags: [.write, .denyOOM, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Adds members to a set.", complexity: "O(1) for each element added", handler: SetCommands.sadd),
        CommandSpec("srem", arity: -3, flags: [.write, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Removes members from a set.", complexity: "O(N) where N is the number of members to be removed.", handler: SetCommands.srem),
        CommandSpec("scard", arity: 2, flags: [.readonly, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Returns the number of members in a set.", handler: SetCommands.scard),
        CommandSpec("sismember", arity: 3, flags: [.readonly, .fast], keys: .one, group: "set", since: "1.0.0", summary: "Tells whether a value is a member of a set.", handler: SetCommands.sismember),
        CommandSpec("srandmember", arity: -2, flags: [.readonly], keys: .one, group: "set", since: "1.0.0", summary: "Returns random members of a set.", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", handler: SetCommands.srandmember),
        CommandSpec("smembers", arity: 2, flags: [.readonly], keys: .one, group: "set", since: "1.0.0", summary: "Returns every member of a set.", complexity: "O(N) where N is the set cardinality.", handler: SetCommands.smembers),
    ] }
}

/// The command table's list rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var listCommands: [CommandSpec] { [
        CommandSpec("lpush", arity: -3, flags: [.write, .denyOOM, .fast], keys: .one, group: "list", since: "1.0.0", summary: "Prepends elements to a list.", complexity: "O(1) for each element added", handler: ListCommands.lpush),
        CommandSpec("rpush", arity: -3, flags: [.write, .denyOOM, .fast], keys: .one, group: "list", since: "1.0.0", summary: "Appends elements to a list.", complexity: "O(1) for each element added", handler: ListCommands.rpush),
        CommandSpec("lpop", arity: -2, flags: [.write, .fast], keys: .one, group: "list", since: "1.0.0", summary: "Removes and returns the first elements of a list.", complexity: "O(N) where N is the number of elements returned", handler: ListCommands.lpop),
        CommandSpec("rpop", arity: -2, flags: [.write, .fast], keys: .one, group: "list", since: "1.0.0", summary: "Removes and returns the last elements of a list.", complexity: "O(N) where N is the number of elements returned", handler: ListCommands.rpop),
        CommandSpec("llen", arity: 2, flags: [.readonly, .fast], keys: .one, group: "list", since: "1.0.0", summary: "Returns the length of a list.", handler: ListCommands.llen),
        CommandSpec("lrange", arity: 4, flags: [.readonly], keys: .one, group: "list", since: "1.0.0", summary: "Returns a range of list elements.", complexity: "O(S+N) where S is the start offset and N the number of elements returned", handler: ListCommands.lrange),
    ] }
}

/// The command table's hash rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var hashCommands: [CommandSpec] { [
        CommandSpec("hset", arity: -4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Sets hash fields.", complexity: "O(1) for each field/value pair added", handler: HashCommands.hset),
        CommandSpec("hget", arity: 3, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Returns a hash field's value.", handler: HashCommands.hget),
        CommandSpec("hgetall", arity: 2, flags: [.readonly], keys: .one, group: "hash", since: "2.0.0", summary: "Returns every field and value of a hash.", complexity: "O(N) where N is the size of the hash.", handler: HashCommands.hgetall),
        CommandSpec("hlen", arity: 2, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Returns the number of fields in a hash.", handler: HashCommands.hlen),
        CommandSpec("hdel", arity: -3, flags: [.write, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Deletes hash fields.", complexity: "O(N) where N is the number of fields to be removed.", handler: HashCommands.hdel),
    ] }
}

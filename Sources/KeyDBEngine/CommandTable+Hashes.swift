/// The command table's hash rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var hashCommands: [CommandSpec] { [
        CommandSpec("hset", arity: -4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Sets hash fields.", complexity: "O(1) for each field/value pair added", handler: HashCommands.hset),
        CommandSpec("hsetnx", arity: 4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Sets a hash field unless it already exists.", handler: HashCommands.hsetnx),
        CommandSpec("hmset", arity: -4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Sets hash fields and answers OK (superseded by HSET).", complexity: "O(N) in the number of fields set", handler: HashCommands.hmset),
        CommandSpec("hget", arity: 3, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Returns a hash field's value.", handler: HashCommands.hget),
        CommandSpec("hmget", arity: -3, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Returns the values of several hash fields.", complexity: "O(N) in the number of fields asked for", handler: HashCommands.hmget),
        CommandSpec("hgetall", arity: 2, flags: [.readonly], keys: .one, group: "hash", since: "2.0.0", summary: "Returns every field and value of a hash.", complexity: "O(N) where N is the size of the hash.", handler: HashCommands.hgetall),
        CommandSpec("hdel", arity: -3, flags: [.write, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Deletes hash fields.", complexity: "O(N) where N is the number of fields to be removed.", handler: HashCommands.hdel),
        CommandSpec("hlen", arity: 2, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Returns the number of fields in a hash.", handler: HashCommands.hlen),
        CommandSpec("hexists", arity: 3, flags: [.readonly, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Tells whether a hash has a field.", handler: HashCommands.hexists),
        CommandSpec("hkeys", arity: 2, flags: [.readonly], keys: .one, group: "hash", since: "2.0.0", summary: "Returns every field name of a hash.", complexity: "O(N) in the size of the hash", handler: HashCommands.hkeys),
        CommandSpec("hvals", arity: 2, flags: [.readonly], keys: .one, group: "hash", since: "2.0.0", summary: "Returns every value of a hash.", complexity: "O(N) in the size of the hash", handler: HashCommands.hvals),
        CommandSpec("hincrby", arity: 4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.0.0", summary: "Adds an integer to a hash field.", handler: HashCommands.hincrby),
        CommandSpec("hincrbyfloat", arity: 4, flags: [.write, .denyOOM, .fast], keys: .one, group: "hash", since: "2.6.0", summary: "Adds a floating-point number to a hash field.", handler: HashCommands.hincrbyfloat),
        CommandSpec("hstrlen", arity: 3, flags: [.readonly, .fast], keys: .one, group: "hash", since: "3.2.0", summary: "Returns the length in bytes of a hash field's value.", handler: HashCommands.hstrlen),
        CommandSpec("hrandfield", arity: -2, flags: [.readonly], keys: .one, group: "hash", since: "6.2.0", summary: "Returns random fields of a hash, optionally with their values.", complexity: "O(N) in the number of fields returned", handler: HashCommands.hrandfield),
        CommandSpec("hscan", arity: -3, flags: [.readonly], keys: .one, group: "hash", since: "2.8.0", summary: "Iterates over the fields and values of a hash.", complexity: "O(1) per call; O(N) over a whole iteration", handler: HashCommands.hscan),
    ] }
}

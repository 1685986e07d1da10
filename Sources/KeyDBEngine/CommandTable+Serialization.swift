/// The command table's rows for SORT and for moving values as DUMP payloads
/// (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var serializationCommands: [CommandSpec] { [
        // Keys after BY, GET and STORE are found by SORT's own procedure (KeySpec.swift).
        // Redis files SORT under the types it sorts, not under @keyspace.
        CommandSpec("sort", arity: -2, flags: [.write, .denyOOM], keys: .one, group: "generic", categories: [.set, .sortedset, .list, .dangerous], excludedCategories: .keyspace, since: "1.0.0", summary: "Sorts the elements of a list, set or sorted set, optionally storing the result.", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", handler: SortCommand.sort),
        CommandSpec("sort_ro", arity: -2, flags: [.readonly], keys: .one, group: "generic", categories: [.set, .sortedset, .list, .dangerous], excludedCategories: .keyspace, since: "7.0.0", summary: "Sorts the elements of a list, set or sorted set (read-only SORT).", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", handler: SortCommand.sortRO),
        CommandSpec("dump", arity: 2, flags: [.readonly], keys: .one, group: "generic", since: "2.6.0", summary: "Returns a key's value serialized as RESTORE takes it.", complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size.", handler: DumpCommands.dump),
        CommandSpec("restore", arity: -4, flags: [.write, .denyOOM], keys: .one, group: "generic", categories: .dangerous, since: "2.6.0", summary: "Creates a key from a DUMP payload.", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value; O(N*M*log(N)) for sorted sets.", handler: DumpCommands.restore),
        CommandSpec("restore-asking", arity: -4, flags: [.write, .denyOOM, .asking], keys: .one, group: "server", categories: [.keyspace, .dangerous], since: "3.0.0", summary: "RESTORE as a cluster node importing the key's slot sends it.", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value; O(N*M*log(N)) for sorted sets.", handler: DumpCommands.restore),
    ] }
}

/// The command table, as data: one row per command, in Redis's terms.
/// Arity counts the command name; negative means "at least".
extension CommandTable {
    /// A fresh table: the rows are built anew so each engine has its own counters.
    public static func standard() -> CommandTable {
        CommandTable(connection + transactions + pubsub + strings + keys + listCommands + hashCommands + setCommands + sortedSetCommands + bitmapCommands + hyperLogLogCommands + geoCommands + streamCommands + serializationCommands + server + introspection + scripting + replicationCommands + clusterCommands + moduleCommands)
    }

    private typealias F = CommandFlags

    // MARK: - Connection

    private static var connection: [CommandSpec] { [
        CommandSpec("ping", arity: -1, flags: [.fast, .allowedWhileSubscribed], group: "connection", since: "1.0.0", summary: "Answers PONG, or echoes its argument.", handler: ConnectionCommands.ping),
        CommandSpec("echo", arity: 2, flags: [.fast, .loading, .stale], group: "connection", since: "1.0.0", summary: "Returns its argument.", handler: ConnectionCommands.echo),
        CommandSpec("quit", arity: -1, flags: [.allowBusy, .noScript, .loading, .stale, .fast, .noAuth, .runsInsideMulti, .allowedWhileSubscribed], group: "connection", since: "1.0.0", summary: "Closes the connection after replying.", handler: ConnectionCommands.quit),
        CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], group: "connection", since: "1.0.0", summary: "Changes the selected database.", handler: ConnectionCommands.select),
        CommandSpec("auth", arity: -2, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy], group: "connection", since: "1.0.0", summary: "Authenticates the connection.", complexity: "O(N) where N is the number of passwords defined for the user", handler: ConnectionCommands.auth),
        CommandSpec("hello", arity: -1, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy], group: "connection", since: "6.0.0", summary: "Handshake: protocol version, authentication and name.", handler: ConnectionCommands.hello),
        CommandSpec("reset", arity: 1, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy, .runsInsideMulti, .allowedWhileSubscribed], group: "connection", since: "6.2.0", summary: "Resets the connection to its initial state.", handler: ConnectionCommands.reset),
        CommandSpec("client", arity: -2, flags: [], group: "connection", since: "2.4.0", summary: "Commands about client connections.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("id", arity: 2, flags: [.noScript, .loading, .stale], group: "connection", since: "5.0.0", summary: "Returns the connection's unique id.", parent: "client", handler: ClientCommand.id),
            CommandSpec("setname", arity: 3, flags: [.noScript, .loading, .stale], group: "connection", since: "2.6.9", summary: "Names the connection.", parent: "client", handler: ClientCommand.setname),
            CommandSpec("getname", arity: 2, flags: [.noScript, .loading, .stale], group: "connection", since: "2.6.9", summary: "Returns the connection's name.", parent: "client", handler: ClientCommand.getname),
            CommandSpec("setinfo", arity: 4, flags: [.noScript, .loading, .stale], group: "connection", since: "7.2.0", summary: "Records the client library's name or version.", parent: "client", handler: ClientCommand.setinfo),
            CommandSpec("list", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "2.4.0", summary: "Lists client connections.", complexity: "O(N) where N is the number of client connections", parent: "client", handler: ClientCommand.list),
            CommandSpec("info", arity: 2, flags: [.noScript, .loading, .stale], group: "connection", since: "6.2.0", summary: "Describes this connection.", parent: "client", handler: ClientCommand.info),
            CommandSpec("reply", arity: 3, flags: [.noScript, .loading, .stale], group: "connection", since: "3.2.0", summary: "Turns this connection's replies on or off.", parent: "client", handler: ClientCommand.reply),
            CommandSpec("unblock", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "5.0.0", summary: "Ends another client's blocking wait.", complexity: "O(log N) where N is the number of client connections", parent: "client", handler: ClientCommand.unblock),
            CommandSpec("kill", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "2.4.0", summary: "Closes the connections matching an address or filters.", complexity: "O(N) where N is the number of client connections", parent: "client", handler: ClientKill.kill),
            CommandSpec("pause", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "2.9.50", summary: "Holds clients' commands, or only writes, for a time.", parent: "client", handler: ClientPauseCommands.pause),
            CommandSpec("unpause", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "6.2.0", summary: "Ends a client pause; held commands run.", complexity: "O(N) Where N is the number of paused clients", parent: "client", handler: ClientPauseCommands.unpause),
            CommandSpec("no-evict", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "connection", since: "7.0.0", summary: "Exempts this connection from client eviction.", parent: "client", handler: ClientCommand.noEvict),
            CommandSpec("tracking", arity: -3, flags: [.noScript, .loading, .stale], group: "connection", since: "6.0.0", summary: "Turns client-side caching's invalidation messages on or off.", complexity: "O(1). Some options may introduce additional complexity.", parent: "client", handler: ClientTrackingCommands.tracking),
            CommandSpec("caching", arity: 3, flags: [.noScript, .loading, .stale], group: "connection", since: "6.0.0", summary: "Tracks, or does not track, the next command's keys (OPTIN / OPTOUT).", parent: "client", handler: ClientTrackingCommands.caching),
            CommandSpec("getredir", arity: 2, flags: [.noScript, .loading, .stale], group: "connection", since: "6.0.0", summary: "Returns the client invalidation messages are redirected to.", parent: "client", handler: ClientTrackingCommands.getredir),
            CommandSpec("trackinginfo", arity: 2, flags: [.noScript, .loading, .stale], group: "connection", since: "6.2.0", summary: "Describes this connection's client-side caching.", parent: "client", handler: ClientTrackingCommands.trackinginfo),
            CommandSpec("no-touch", arity: 3, flags: [.noScript, .loading, .stale], group: "connection", since: "7.2.0", summary: "Leaves keys' access times alone for this connection's commands.", parent: "client", handler: ClientCommand.noTouch),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "connection", since: "5.0.0", summary: "Lists the CLIENT subcommands.", parent: "client", handler: ClientCommand.help),
        ], handler: nil),
    ] }

    // MARK: - Transactions

    private static var transactions: [CommandSpec] { [
        CommandSpec("multi", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .runsInsideMulti], group: "transactions", since: "1.2.0", summary: "Starts a transaction.", handler: TransactionCommands.multi),
        CommandSpec("exec", arity: 1, flags: [.noScript, .loading, .stale, .skipSlowlog, .runsInsideMulti], group: "transactions", since: "1.2.0", summary: "Runs the commands queued since MULTI.", complexity: "Depends on commands in the transaction", handler: TransactionCommands.exec),
        CommandSpec("watch", arity: -2, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .runsInsideMulti], keys: .all, group: "transactions", since: "2.2.0", summary: "Watches keys: a later EXEC fails if any of them changes.", complexity: "O(1) for every key.", handler: WatchCommands.watch),
        CommandSpec("unwatch", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy], group: "transactions", since: "2.2.0", summary: "Forgets every watched key.", handler: WatchCommands.unwatch),
        CommandSpec("discard", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .runsInsideMulti], group: "transactions", since: "2.0.0", summary: "Drops the commands queued since MULTI.", complexity: "O(N), when N is the number of queued commands", handler: TransactionCommands.discard),
    ] }

    // MARK: - Pub/sub

    private static var pubsub: [CommandSpec] { [
        CommandSpec("subscribe", arity: -2, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "2.0.0", summary: "Listens for messages on channels.", complexity: "O(N) where N is the number of channels to subscribe to.", handler: PubSubCommands.subscribe),
        CommandSpec("unsubscribe", arity: -1, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "2.0.0", summary: "Stops listening on channels (all when none is named).", complexity: "O(N) where N is the number of clients already subscribed to a channel.", handler: PubSubCommands.unsubscribe),
        CommandSpec("psubscribe", arity: -2, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "2.0.0", summary: "Listens for messages on channels matching glob patterns.", complexity: "O(N) where N is the number of patterns the client is already subscribed to.", handler: PubSubCommands.psubscribe),
        CommandSpec("punsubscribe", arity: -1, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "2.0.0", summary: "Stops listening on patterns (all when none is named).", complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", handler: PubSubCommands.punsubscribe),
        CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], group: "pubsub", since: "2.0.0", summary: "Sends a message to a channel's subscribers.", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", handler: PubSubCommands.publish),
        CommandSpec("ssubscribe", arity: -2, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "7.0.0", summary: "Listens for messages on shard channels.", complexity: "O(N) where N is the number of shard channels to subscribe to.", handler: PubSubCommands.ssubscribe),
        CommandSpec("sunsubscribe", arity: -1, flags: [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed], group: "pubsub", since: "7.0.0", summary: "Stops listening on shard channels (all when none is named).", complexity: "O(N) where N is the number of clients already subscribed to a shard channel.", handler: PubSubCommands.sunsubscribe),
        CommandSpec("spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], group: "pubsub", since: "7.0.0", summary: "Sends a message to a shard channel's subscribers.", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.", handler: PubSubCommands.spublish),
        CommandSpec("pubsub", arity: -2, flags: [], group: "pubsub", since: "2.8.0", summary: "Commands about channels and subscriptions.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("channels", arity: -2, flags: [.pubsub, .loading, .stale], group: "pubsub", since: "2.8.0", summary: "Lists channels with subscribers.", complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", parent: "pubsub", handler: PubSubCommands.channels),
            CommandSpec("numsub", arity: -2, flags: [.pubsub, .loading, .stale], group: "pubsub", since: "2.8.0", summary: "Counts the subscribers of channels.", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels", parent: "pubsub", handler: PubSubCommands.numsub),
            CommandSpec("numpat", arity: 2, flags: [.pubsub, .loading, .stale], group: "pubsub", since: "2.8.0", summary: "Counts pattern subscriptions.", parent: "pubsub", handler: PubSubCommands.numpat),
            CommandSpec("shardchannels", arity: -2, flags: [.pubsub, .loading, .stale], group: "pubsub", since: "7.0.0", summary: "Lists shard channels with subscribers.", complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", parent: "pubsub", handler: PubSubCommands.shardchannels),
            CommandSpec("shardnumsub", arity: -2, flags: [.pubsub, .loading, .stale], group: "pubsub", since: "7.0.0", summary: "Counts the subscribers of shard channels.", complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", parent: "pubsub", handler: PubSubCommands.shardnumsub),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "pubsub", since: "6.2.0", summary: "Lists the PUBSUB subcommands.", parent: "pubsub", handler: PubSubCommands.help),
        ], handler: nil),
    ] }

    // MARK: - Strings

    private static var strings: [CommandSpec] { [
        CommandSpec("get", arity: 2, flags: [.readonly, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Returns the string value of a key.", handler: StringCommands.get),
        CommandSpec("set", arity: -3, flags: [.write, .denyOOM], keys: .one, group: "string", since: "1.0.0", summary: "Sets a key's string value, with optional expiry and conditions.", handler: StringCommands.set),
        CommandSpec("setnx", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Sets a key only if it does not exist.", handler: StringCommands.setnx),
        CommandSpec("setex", arity: 4, flags: [.write, .denyOOM], keys: .one, group: "string", since: "2.0.0", summary: "Sets a key with a TTL in seconds.", handler: StringCommands.setex),
        CommandSpec("psetex", arity: 4, flags: [.write, .denyOOM], keys: .one, group: "string", since: "2.6.0", summary: "Sets a key with a TTL in milliseconds.", handler: StringCommands.psetex),
        CommandSpec("getset", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Sets a key and returns its old value.", handler: StringCommands.getset),
        CommandSpec("getdel", arity: 2, flags: [.write, .fast], keys: .one, group: "string", since: "6.2.0", summary: "Returns a key's value and deletes the key.", handler: StringCommands.getdel),
        CommandSpec("getex", arity: -2, flags: [.write, .fast], keys: .one, group: "string", since: "6.2.0", summary: "Returns a key's value and changes its TTL.", handler: StringCommands.getex),
        CommandSpec("mget", arity: -2, flags: [.readonly, .fast], keys: .all, group: "string", since: "1.0.0", summary: "Returns the values of several keys.", complexity: "O(N) where N is the number of keys to retrieve.", handler: StringCommands.mget),
        CommandSpec("mset", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: -1, step: 2), group: "string", since: "1.0.1", summary: "Sets several keys.", complexity: "O(N) where N is the number of keys to set.", handler: StringCommands.mset),
        CommandSpec("msetnx", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: -1, step: 2), group: "string", since: "1.0.1", summary: "Sets several keys only if none exists.", complexity: "O(N) where N is the number of keys to set.", handler: StringCommands.msetnx),
        CommandSpec("append", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "2.0.0", summary: "Appends to a key's string value.", handler: StringCommands.append),
        CommandSpec("strlen", arity: 2, flags: [.readonly, .fast], keys: .one, group: "string", since: "2.2.0", summary: "Returns the length of a string value.", handler: StringCommands.strlen),
        CommandSpec("lcs", arity: -3, flags: [.readonly], keys: KeyPositions(first: 1, last: 2, step: 1), group: "string", since: "7.0.0", summary: "Finds the longest common subsequence of two strings.", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", handler: LCSCommand.lcs),
        CommandSpec("substr", arity: 4, flags: [.readonly], keys: .one, group: "string", since: "1.0.0", summary: "Returns part of a string value (old name of GETRANGE).", complexity: "O(N) where N is the length of the returned string.", handler: StringCommands.getrange),
        CommandSpec("getrange", arity: 4, flags: [.readonly], keys: .one, group: "string", since: "2.4.0", summary: "Returns part of a string value.", complexity: "O(N) where N is the length of the returned string.", handler: StringCommands.getrange),
        CommandSpec("setrange", arity: 4, flags: [.write, .denyOOM], keys: .one, group: "string", since: "2.2.0", summary: "Overwrites part of a string value.", handler: StringCommands.setrange),
        CommandSpec("incr", arity: 2, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Adds one to an integer value.", handler: StringCommands.incr),
        CommandSpec("decr", arity: 2, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Subtracts one from an integer value.", handler: StringCommands.decr),
        CommandSpec("incrby", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Adds an integer to an integer value.", handler: StringCommands.incrby),
        CommandSpec("decrby", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "1.0.0", summary: "Subtracts an integer from an integer value.", handler: StringCommands.decrby),
        CommandSpec("incrbyfloat", arity: 3, flags: [.write, .denyOOM, .fast], keys: .one, group: "string", since: "2.6.0", summary: "Adds a floating-point number to a value.", handler: StringCommands.incrbyfloat),
    ] }

    // MARK: - Keys

    private static var keys: [CommandSpec] { [
        CommandSpec("del", arity: -2, flags: [.write], keys: .all, group: "generic", since: "1.0.0", summary: "Deletes keys.", complexity: "O(N) where N is the number of keys that will be removed.", handler: KeyCommands.del),
        CommandSpec("unlink", arity: -2, flags: [.write, .fast], keys: .all, group: "generic", since: "4.0.0", summary: "Deletes keys.", complexity: "O(1) for each key removed.", handler: KeyCommands.unlink),
        CommandSpec("exists", arity: -2, flags: [.readonly, .fast], keys: .all, group: "generic", since: "1.0.0", summary: "Counts how many of the keys exist.", complexity: "O(N) where N is the number of keys to check.", handler: KeyCommands.exists),
        CommandSpec("touch", arity: -2, flags: [.readonly, .fast], keys: .all, group: "generic", since: "3.2.1", summary: "Counts existing keys, marking them accessed.", complexity: "O(N) where N is the number of keys that will be touched.", handler: KeyCommands.touch),
        CommandSpec("type", arity: 2, flags: [.readonly, .fast], keys: .one, group: "generic", since: "1.0.0", summary: "Returns the type of a key's value.", handler: KeyCommands.type),
        CommandSpec("keys", arity: 2, flags: [.readonly], group: "generic", categories: .dangerous, since: "1.0.0", summary: "Returns the keys matching a glob pattern.", complexity: "O(N) with N being the number of keys in the database", handler: KeyCommands.keys),
        CommandSpec("scan", arity: -2, flags: [.readonly, .touchesArbitraryKeys], group: "generic", since: "2.8.0", summary: "Iterates the keys of the database.", complexity: "O(1) for every call. O(N) for a complete iteration.", handler: KeyCommands.scan),
        CommandSpec("randomkey", arity: 1, flags: [.readonly, .touchesArbitraryKeys], group: "generic", since: "1.0.0", summary: "Returns a random key.", handler: KeyCommands.randomkey),
        CommandSpec("rename", arity: 3, flags: [.write], keys: KeyPositions(first: 1, last: 2, step: 1), group: "generic", since: "1.0.0", summary: "Renames a key, replacing the destination.", handler: KeyCommands.rename),
        CommandSpec("renamenx", arity: 3, flags: [.write, .fast], keys: KeyPositions(first: 1, last: 2, step: 1), group: "generic", since: "1.0.0", summary: "Renames a key only if the new name is free.", handler: KeyCommands.renamenx),
        CommandSpec("copy", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1), group: "generic", since: "6.2.0", summary: "Copies a key's value to another key.", complexity: "O(N) worst case for collections, where N is the number of nested items.", handler: KeyCommands.copy),
        CommandSpec("move", arity: 3, flags: [.write, .fast], keys: .one, group: "generic", since: "1.0.0", summary: "Moves a key to another database.", handler: KeyCommands.move),
        CommandSpec("swapdb", arity: 3, flags: [.write, .fast], group: "server", categories: [.keyspace, .dangerous], since: "4.0.0", summary: "Swaps the contents of two databases.", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", handler: KeyCommands.swapdb),
        CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], group: "server", categories: .keyspace, since: "1.0.0", summary: "Returns the number of keys in the database.", handler: KeyCommands.dbsize),
        CommandSpec("flushdb", arity: -1, flags: [.write], group: "server", categories: [.keyspace, .dangerous], since: "1.0.0", summary: "Deletes every key of the selected database.", complexity: "O(N) where N is the number of keys in the selected database", handler: KeyCommands.flushdb),
        CommandSpec("flushall", arity: -1, flags: [.write], group: "server", categories: [.keyspace, .dangerous], since: "1.0.0", summary: "Deletes every key of every database.", complexity: "O(N) where N is the total number of keys in all databases", handler: KeyCommands.flushall),
        CommandSpec("expire", arity: -3, flags: [.write, .fast], keys: .one, group: "generic", since: "1.0.0", summary: "Sets a key's TTL in seconds.", handler: ExpireCommands.expire),
        CommandSpec("pexpire", arity: -3, flags: [.write, .fast], keys: .one, group: "generic", since: "2.6.0", summary: "Sets a key's TTL in milliseconds.", handler: ExpireCommands.pexpire),
        CommandSpec("expireat", arity: -3, flags: [.write, .fast], keys: .one, group: "generic", since: "1.2.0", summary: "Sets a key's expiry as a Unix time in seconds.", handler: ExpireCommands.expireat),
        CommandSpec("pexpireat", arity: -3, flags: [.write, .fast], keys: .one, group: "generic", since: "2.6.0", summary: "Sets a key's expiry as a Unix time in milliseconds.", handler: ExpireCommands.pexpireat),
        CommandSpec("ttl", arity: 2, flags: [.readonly, .fast], keys: .one, group: "generic", since: "1.0.0", summary: "Returns a key's TTL in seconds.", handler: ExpireCommands.ttl),
        CommandSpec("pttl", arity: 2, flags: [.readonly, .fast], keys: .one, group: "generic", since: "2.6.0", summary: "Returns a key's TTL in milliseconds.", handler: ExpireCommands.pttl),
        CommandSpec("expiretime", arity: 2, flags: [.readonly, .fast], keys: .one, group: "generic", since: "7.0.0", summary: "Returns a key's expiry as a Unix time in seconds.", handler: ExpireCommands.expiretime),
        CommandSpec("pexpiretime", arity: 2, flags: [.readonly, .fast], keys: .one, group: "generic", since: "7.0.0", summary: "Returns a key's expiry as a Unix time in milliseconds.", handler: ExpireCommands.pexpiretime),
        CommandSpec("persist", arity: 2, flags: [.write, .fast], keys: .one, group: "generic", since: "2.2.0", summary: "Removes a key's TTL.", handler: ExpireCommands.persist),
        CommandSpec("object", arity: -2, flags: [], group: "generic", since: "2.2.3", summary: "Commands about how a key's value is held.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("encoding", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1), group: "generic", since: "2.2.3", summary: "Returns the encoding Redis would hold the value in.", parent: "object", handler: ObjectCommand.encoding),
            CommandSpec("freq", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1), group: "generic", since: "4.0.0", summary: "Returns a key's logarithmic access counter (LFU policies).", parent: "object", handler: ObjectCommand.freq),
            CommandSpec("idletime", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1), group: "generic", since: "2.2.3", summary: "Returns the seconds since a key was last accessed.", parent: "object", handler: ObjectCommand.idletime),
            CommandSpec("refcount", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1), group: "generic", since: "2.2.3", summary: "Returns how many references the value has.", parent: "object", handler: ObjectCommand.refcount),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "generic", since: "6.2.0", summary: "Lists the OBJECT subcommands.", parent: "object", handler: ObjectCommand.help),
        ], handler: nil),
    ] }




    // MARK: - Server

    private static var server: [CommandSpec] { [
        CommandSpec("info", arity: -1, flags: [.loading, .stale], group: "server", categories: .dangerous, since: "1.0.0", summary: "Returns information and statistics about the server.", complexity: "O(1)", handler: InfoCommand.info),
        CommandSpec("time", arity: 1, flags: [.loading, .stale, .fast], group: "server", since: "2.6.0", summary: "Returns the server time.", handler: ServerCommands.time),
        CommandSpec("shutdown", arity: -1, flags: [.admin, .noScript, .loading, .stale, .noMulti, .allowBusy], group: "server", since: "1.0.0", summary: "Stops the server.", complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", handler: ServerCommands.shutdown),
        CommandSpec("lastsave", arity: 1, flags: [.loading, .stale, .fast], group: "server", categories: [.admin, .dangerous], since: "1.0.0", summary: "Returns the Unix time of the last save.", handler: PersistenceCommands.lastsave),
        CommandSpec("save", arity: 1, flags: [.admin, .noScript, .noAsyncLoading, .noMulti], group: "server", since: "1.0.0", summary: "Writes a snapshot of the dataset to disk, blocking.", complexity: "O(N) where N is the total number of keys in all databases", handler: PersistenceCommands.save),
        CommandSpec("bgsave", arity: -1, flags: [.admin, .noScript, .noAsyncLoading], group: "server", since: "1.0.0", summary: "Writes a snapshot of the dataset to disk in the background.", complexity: "O(1)", handler: PersistenceCommands.bgsave),
        CommandSpec("debug", arity: -2, flags: [.admin, .noScript, .loading, .stale, .protected], group: "server", since: "1.0.0", summary: "Debugging helpers: reload from disk, dataset digests, sleep.", complexity: "Depends on subcommand.", handler: DebugCommand.debug),
        CommandSpec("bgrewriteaof", arity: 1, flags: [.admin, .noScript, .noAsyncLoading], group: "server", since: "1.0.0", summary: "Rewrites the append-only log in the background.", complexity: "O(1)", handler: PersistenceCommands.bgrewriteaof),
        CommandSpec("config", arity: -2, flags: [], group: "server", since: "2.0.0", summary: "Commands about the server's configuration.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("get", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.0.0", summary: "Returns settings matching glob patterns.", complexity: "O(N) when N is the number of configuration parameters provided", parent: "config", handler: ConfigCommand.get),
            CommandSpec("set", arity: -4, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.0.0", summary: "Changes settings, all or none.", complexity: "O(N) when N is the number of configuration parameters provided", parent: "config", handler: ConfigCommand.set),
            CommandSpec("resetstat", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.0.0", summary: "Resets the statistics INFO reports.", parent: "config", handler: ConfigCommand.resetstat),
            CommandSpec("rewrite", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.0", summary: "Writes the running settings back into the config file.", parent: "config", handler: ConfigCommand.rewrite),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "5.0.0", summary: "Lists the CONFIG subcommands.", parent: "config", handler: ConfigCommand.help),
        ], handler: nil),
        CommandSpec("acl", arity: -2, flags: [], group: "server", since: "6.0.0", summary: "Commands about users and their permissions.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("cat", arity: -2, flags: [.noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Lists the categories, or the commands of one.", parent: "acl", handler: ACLCommand.cat),
            CommandSpec("deluser", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Deletes users and logs out their clients.", complexity: "O(1) amortized time considering the typical user.", parent: "acl", handler: ACLCommand.deluser),
            CommandSpec("dryrun", arity: -4, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "7.0.0", summary: "Tells whether a user could run a command, without running it.", complexity: "O(1).", parent: "acl", handler: ACLCommand.dryrun),
            CommandSpec("genpass", arity: -2, flags: [.noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Returns a random password.", parent: "acl", handler: ACLCommand.genpass),
            CommandSpec("getuser", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Describes one user.", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.", parent: "acl", handler: ACLCommand.getuser),
            CommandSpec("list", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Lists every user as the rules that rebuild it.", complexity: "O(N). Where N is the number of configured users.", parent: "acl", handler: ACLCommand.list),
            CommandSpec("load", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Reloads the users from the aclfile.", complexity: "O(N). Where N is the number of configured users.", parent: "acl", handler: ACLCommand.load),
            CommandSpec("log", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Lists denied commands and failed logins.", complexity: "O(N) with N being the number of entries shown.", parent: "acl", handler: ACLCommand.log),
            CommandSpec("save", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Writes the users to the aclfile.", complexity: "O(N). Where N is the number of configured users.", parent: "acl", handler: ACLCommand.save),
            CommandSpec("setuser", arity: -3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Creates a user or changes its rules.", complexity: "O(N). Where N is the number of rules provided.", parent: "acl", handler: ACLCommand.setuser),
            CommandSpec("users", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Lists user names.", complexity: "O(N). Where N is the number of configured users.", parent: "acl", handler: ACLCommand.users),
            CommandSpec("whoami", arity: 2, flags: [.noScript, .loading, .stale], group: "server", since: "6.0.0", summary: "Returns this connection's user name.", parent: "acl", handler: ACLCommand.whoami),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "6.0.0", summary: "Lists the ACL subcommands.", parent: "acl", handler: ACLCommand.help),
        ], handler: nil),
        CommandSpec("command", arity: -1, flags: [.loading, .stale], group: "server", categories: .connection, since: "2.8.13", summary: "Describes every command.", complexity: "O(N) where N is the total number of Redis commands", subcommands: [
            CommandSpec("count", arity: 2, flags: [.loading, .stale], group: "server", categories: .connection, since: "2.8.13", summary: "Returns the number of commands.", parent: "command", handler: CommandCommand.count),
            CommandSpec("info", arity: -2, flags: [.loading, .stale], group: "server", categories: .connection, since: "2.8.13", summary: "Describes the given commands.", complexity: "O(N) where N is the number of commands to look up", parent: "command", handler: CommandCommand.info),
            CommandSpec("docs", arity: -2, flags: [.loading, .stale], group: "server", categories: .connection, since: "7.0.0", summary: "Documents the given commands.", complexity: "O(N) where N is the number of commands to look up", parent: "command", handler: CommandCommand.docs),
            CommandSpec("list", arity: -2, flags: [.loading, .stale], group: "server", categories: .connection, since: "7.0.0", summary: "Lists command names.", complexity: "O(N) where N is the total number of Redis commands", parent: "command", handler: CommandCommand.list),
            CommandSpec("getkeys", arity: -4, flags: [.loading, .stale], group: "server", categories: .connection, since: "2.8.13", summary: "Returns the key arguments of a full command.", complexity: "O(N) where N is the number of arguments to the command", parent: "command", handler: CommandCommand.getkeys),
            CommandSpec("getkeysandflags", arity: -4, flags: [.loading, .stale], group: "server", categories: .connection, since: "7.0.0", summary: "Returns the key arguments of a full command and how it uses them.", complexity: "O(N) where N is the number of arguments to the command", parent: "command", handler: CommandCommand.getkeysandflags),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", categories: .connection, since: "5.0.0", summary: "Lists the COMMAND subcommands.", parent: "command", handler: CommandCommand.help),
        ], handler: CommandCommand.all),
        CommandSpec("memory", arity: -2, flags: [], group: "server", since: "4.0.0", summary: "Commands about memory use.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("usage", arity: -3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1), group: "server", since: "4.0.0", summary: "Estimates the memory a key uses.", complexity: "O(N) where N is the number of samples.", parent: "memory", handler: ServerCommands.memoryUsage),
            CommandSpec("stats", arity: 2, flags: [], group: "server", since: "4.0.0", summary: "Reports where the server's memory goes.", parent: "memory", handler: MemoryCommand.stats),
            CommandSpec("doctor", arity: 2, flags: [], group: "server", since: "4.0.0", summary: "Reports memory problems, if any.", parent: "memory", handler: MemoryCommand.doctor),
            CommandSpec("malloc-stats", arity: 2, flags: [], group: "server", since: "4.0.0", summary: "Reports the allocator's own statistics.", complexity: "Depends on how much memory is allocated, could be slow", parent: "memory", handler: MemoryCommand.mallocStats),
            CommandSpec("purge", arity: 2, flags: [], group: "server", since: "4.0.0", summary: "Asks the allocator to give free memory back to the system.", complexity: "Depends on how much memory is allocated, could be slow", parent: "memory", handler: MemoryCommand.purge),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "4.0.0", summary: "Lists the MEMORY subcommands.", parent: "memory", handler: MemoryCommand.help),
        ], handler: nil),
    ] }
}

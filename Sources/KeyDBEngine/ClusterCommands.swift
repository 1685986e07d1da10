import KeyDBRESP

/// CLUSTER, READONLY, READWRITE and ASKING on a server without `cluster-enabled`,
/// as Redis answers them: every subcommand, HELP included, says so (a wrong
/// argument count or an unknown subcommand is refused before, by the table).
enum ClusterCommands {
    static func disabled(_ c: ClientSession, _ args: Arguments) {
        c.replyError(ErrorReply.clusterDisabled)
    }
}

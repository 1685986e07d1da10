import KeyDBRESP

/// Every error text a client can see, byte for byte as Redis 7.0 words it.
/// (Protocol errors live with the parser in KeyDBRESP.)
public enum ErrorReply {
    public static let wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
    public static let syntax = "ERR syntax error"
    public static let notInteger = "ERR value is not an integer or out of range"
    public static let notFloat = "ERR value is not a valid float"
    public static let overflow = "ERR increment or decrement would overflow"
    public static let nanOrInfinity = "ERR increment would produce NaN or Infinity"
    public static let noSuchKey = "ERR no such key"
    public static let dbIndexOutOfRange = "ERR DB index is out of range"
    public static let invalidDBIndex = "ERR invalid DB index"
    public static let sameObject = "ERR source and destination objects are the same"
    public static let invalidFirstDBIndex = "ERR invalid first DB index"
    public static let invalidSecondDBIndex = "ERR invalid second DB index"
    public static let intOutOfRange = "ERR value is out of range, value must between -2147483648 and 2147483647"
    public static let invalidCursor = "ERR invalid cursor"
    public static let offsetOutOfRange = "ERR offset is out of range"
    public static let stringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    public static let noAuth = "NOAUTH Authentication required."
    /// Sent to a connection refused by `maxclients`, which is then closed.
    public static let maxClientsReached = "ERR max number of clients reached"
    /// Sent to a non-loopback connection while protected mode is on and no password is set; then closed.
    public static let protectedMode = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
    public static let authNotConfigured = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    public static let wrongPass = "WRONGPASS invalid username-password pair or user is disabled."
    public static let noProto = "NOPROTO unsupported protocol version"
    public static let helloProtocolNotInteger = "ERR Protocol version is not an integer or out of range"
    public static let helloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
    public static let clientNameSpaces = "ERR Client names cannot contain spaces, newlines or special characters."
    // CLIENT TRACKING and CLIENT CACHING (client-side caching).
    public static let trackingRedirectTwice = "ERR A client can only redirect to a single other client"
    public static let trackingRedirectMissing = "ERR The client ID you want redirect to does not exist"
    public static let trackingPrefixNeedsBcast = "ERR PREFIX option requires BCAST mode to be enabled"
    public static let trackingBcastSwitch = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
    public static let trackingOptInOutWithBcast = "ERR OPTIN and OPTOUT are not compatible with BCAST"
    public static let trackingOptInAndOut = "ERR You can't specify both OPTIN mode and OPTOUT mode"
    public static let trackingOptSwitch = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
    public static let cachingWithoutTracking = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
    public static let cachingYesWithoutOptIn = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
    public static let cachingNoWithoutOptOut = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    /// A BCAST prefix that is a prefix of another (or equal to it), given with it or held already.
    public static func trackingPrefixOverlap(_ prefix: Bytes, _ other: Bytes, existing: Bool) -> [UInt8] {
        Array("ERR Prefix '".utf8) + cString(prefix.array) + Array("' overlaps with \(existing ? "an existing" : "another provided") prefix '".utf8)
            + cString(other.array) + Array("'. Prefixes for a single client must not overlap.".utf8)
    }
    public static let expireOptionsNXXX = "ERR NX and XX, GT or LT options at the same time are not compatible"
    public static let expireOptionsGTLT = "ERR GT and LT options at the same time are not compatible"
    public static let multiNested = "ERR MULTI calls can not be nested"
    public static let execWithoutMulti = "ERR EXEC without MULTI"
    public static let discardWithoutMulti = "ERR DISCARD without MULTI"
    /// Not a Redis text: Redis would try to build the reply and run out of memory.
    public static let tooManyPicks = "ERR count is too large: the reply would not fit in an output buffer"
    public static let notAllowedInTransaction = "ERR Command not allowed inside a transaction"
    public static let shutdownFailed = "ERR Errors trying to SHUTDOWN. Check logs."
    public static let noShutdownInProgress = "ERR No shutdown in progress."
    public static let loading = "LOADING Redis is loading the dataset in memory"
    public static let bgsaveFailed = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
    public static func logWriteFailed(_ reason: String) -> String { "MISCONF Errors writing to the AOF file: \(reason)" }
    /// Redis's shared.err: the details are in the server log.
    public static let generic = "ERR"
    public static let persistenceUnavailable = "ERR persistence is not set up in this process"
    public static let packedThreshold = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
    public static let saveInProgress = "ERR Background save already in progress"
    public static let rewriteInProgress = "ERR Background append only file rewriting already in progress"
    public static let childActiveForSave = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
    public static let rewriteFailed = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
    public static let watchInsideMulti = "ERR WATCH inside MULTI is not allowed"
    public static let execAbort = "EXECABORT Transaction discarded because of previous errors."
    /// EXEC itself refused: Redis quotes the refusal, less the ERR of the ones it formats.
    public static func execDiscarded(because refusal: String) -> String {
        "EXECABORT Transaction discarded because of: " + (refusal.hasPrefix("ERR ") ? String(refusal.dropFirst(4)) : refusal)
    }
    public static let bitOffsetNotInteger = "ERR bit offset is not an integer or out of range"
    public static let bitNotInteger = "ERR bit is not an integer or out of range"
    public static let bitposBitNotBinary = "ERR The bit argument must be 1 or 0."
    public static let bitopNotSingleKey = "ERR BITOP NOT must be called with a single source key."
    public static let bitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
    public static let bitfieldOverflowType = "ERR Invalid OVERFLOW type specified"
    public static let bitfieldROWrite = "ERR BITFIELD_RO only supports the GET subcommand"
    public static let hllNotHLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
    public static let hllCorrupted = "INVALIDOBJ Corrupted HLL object detected"
    public static let hllNoSuchKey = "ERR The specified key does not exist"
    public static let hllNotSparse = "ERR HLL encoding is not sparse"
    /// PFDEBUG's unknown subcommand, quoted as a C string (up to a zero byte).
    public static func pfdebugUnknown(_ subcommand: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Unknown PFDEBUG subcommand '".utf8) + cString(subcommand, limit: Int.max) + Array("'".utf8))
    }
    public static let lcsNotStrings = "ERR The specified keys must contain string values"
    public static let lcsLengthAndIndexes = "ERR If you want both the length and indexes, please just use IDX."
    public static let lcsTooMuchMemory = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    public static let longOutOfRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    public static let notPositive = "ERR value is out of range, must be positive"
    public static let indexOutOfRange = "ERR index out of range"
    public static let lposRankZero = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    public static let lposCountNegative = "ERR COUNT can't be negative"
    public static let lposMaxlenNegative = "ERR MAXLEN can't be negative"
    public static let numkeysNotPositive = "ERR numkeys should be greater than 0"
    public static let countNotPositive = "ERR count should be greater than 0"
    public static let timeoutNegative = "ERR timeout is negative"
    public static let unblockReason = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    public static let unblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    public static let timeoutNotFloat = "ERR timeout is not a float or out of range"
    public static let timeoutNotInteger = "ERR timeout is not an integer or out of range"
    public static let noSuchClient = "ERR No such client"
    public static let clientIDNotPositive = "ERR client-id should be greater than 0"
    public static let invalidClientID = "ERR Invalid client ID"
    public static let pauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL"
    public static let idleTimeUnderLFU = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    public static let frequencyWithoutLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    public static let hashValueNotInteger = "ERR hash value is not an integer"
    public static let hashValueNotFloat = "ERR hash value is not a float"
    public static let valueNaNOrInfinity = "ERR value is NaN or Infinity"
    public static let valueOutOfRange = "ERR value is out of range"
    public static let numkeysExceedArgs = "ERR Number of keys can't be greater than number of args"
    public static let limitNegative = "ERR LIMIT can't be negative"
    // Sorted sets (t_zset.c).
    public static let zaddXXAndNX = "ERR XX and NX options at the same time are not compatible"
    public static let zaddGTLTAndNX = "ERR GT, LT, and/or NX options at the same time are not compatible"
    public static let zaddIncrSinglePair = "ERR INCR option supports a single increment-element pair"
    public static let scoreNaN = "ERR resulting score is not a number (NaN)"
    public static let minMaxNotFloat = "ERR min or max is not a float"
    public static let minMaxNotStringRange = "ERR min or max not valid string range item"
    public static let zrangeLimitNeedsByScoreOrByLex = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    public static let zrangeWithScoresAndByLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    public static let weightNotFloat = "ERR weight value is not a float"
    // Geo (geo.c).
    public static let geoUnsupportedUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"
    public static let geoRadiusNotNumeric = "ERR need numeric radius"
    public static let geoRadiusNegative = "ERR radius cannot be negative"
    public static let geoWidthNotNumeric = "ERR need numeric width"
    public static let geoHeightNotNumeric = "ERR need numeric height"
    public static let geoBoxNegative = "ERR height or width cannot be negative"
    public static let geoMemberNotDecoded = "ERR could not decode requested zset member"
    public static let geoCountNotPositive = "ERR COUNT must be > 0"
    public static let geoAnyNeedsCount = "ERR the ANY argument requires COUNT argument"
    public static let geoRadiusStoreWithOptions = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    public static let geoSearchStoreWithOptions = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    /// Coordinates outside Redis's limits, printed with C's "%f".
    public static func geoInvalidPair(_ longitude: Double, _ latitude: Double) -> String {
        "ERR invalid longitude,latitude pair \(cFixedText(longitude)),\(cFixedText(latitude))"
    }
    /// `command` is the name as the client typed it.
    public static func geoNeedsOneCentre(_ command: String) -> String {
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(command)"
    }
    public static func geoNeedsOneShape(_ command: String) -> String {
        "ERR exactly one of BYRADIUS and BYBOX can be specified for \(command)"
    }
    // Introspection (SLOWLOG, LATENCY, MONITOR).
    public static let slowlogCount = "ERR count should be greater than or equal to -1"
    /// A client in MONITOR mode is a replica to Redis: it may not read or write keys.
    public static let replicaKeyspace = "ERR Replica can't interact with the keyspace"
    public static let monitorDenyBlocking = "ERR MONITOR isn't allowed for DENY BLOCKING client"
    // Pub/sub (pubsub.c).
    /// SSUBSCRIBE inside EXEC: unlike SUBSCRIBE, Redis makes no exception for transactions.
    public static let ssubscribeDenyBlocking = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"

    /// A RESP2 client with any subscription runs only these.
    public static func subscribedContext(_ fullName: String) -> String {
        "ERR Can't execute '\(fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    }

    public static func latencyNoSamples(_ event: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR No samples available for event '".utf8) + cString(event, limit: .max) + [39])
    }

    // Access control (acl.c, server.c processCommand).
    public static func noPermission(_ denial: ACLDenial, command: String) -> String {
        switch denial {
        case .command: "NOPERM this user has no permissions to run the '\(command)' command"
        case .key: "NOPERM this user has no permissions to access one of the keys used as arguments"
        case .channel: "NOPERM this user has no permissions to access one of the channels used as arguments"
        }
    }

    /// A queued command the user may no longer run when EXEC comes.
    public static func noPermissionAtExec(_ denial: ACLDenial) -> String {
        let reason = switch denial {
        case .command: "no permission to execute the command or subcommand"
        case .key: "no permission to touch the specified keys"
        case .channel: "no permission to access one of the channels used as arguments"
        }
        return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(reason)"
    }

    /// ACL DRYRUN's answer (a bulk string, not an error) when the command would be refused.
    public static func dryRunDenial(_ denial: ACLDenial, command: String, argument: [UInt8]) -> [UInt8] {
        switch denial {
        case .command: Array("This user has no permissions to run the '\(command)' command".utf8)
        case .key: Array("This user has no permissions to access the '".utf8) + argument + Array("' key".utf8)
        case .channel: Array("This user has no permissions to access the '".utf8) + argument + Array("' channel".utf8)
        }
    }

    public static func aclRuleReason(_ error: ACLRuleError) -> String {
        switch error {
        case .unknownCommandOrCategory: "Unknown command or category name in ACL"
        case .syntax: "Syntax error"
        case .patternAfterAllKeys: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
        case .patternAfterAllChannels: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        case .noSuchPassword: "The password you are trying to remove from the user does not exist"
        case .badPasswordHash: "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
        case .firstArgumentOfSubcommand: "Allowing first-arg of a subcommand is not supported"
        }
    }

    public static func aclSetUserRule(_ rule: [UInt8], _ error: ACLRuleError) -> [UInt8] {
        oneLine(Array("ERR Error in ACL SETUSER modifier '".utf8) + cString(rule) + Array("': \(aclRuleReason(error))".utf8))
    }

    public static func aclUnmatchedParenthesis(_ rule: [UInt8]) -> [UInt8] {
        oneLine(Array("ERR Unmatched parenthesis in acl selector starting at '".utf8) + cString(rule) + Array("'.".utf8))
    }

    // ACL LOAD's report of a bad file, one sentence per problem (acl.c ACLLoadFromFile).
    static func aclFileNotAUserLine(_ file: String, _ line: Int) -> String {
        "\(file):\(line) should start with user keyword followed by the username. "
    }

    static func aclFileBadUserName(_ file: String, _ line: Int, _ name: [UInt8]) -> String {
        "'\(file):\(line): username '\(String(decoding: name, as: UTF8.self))' contains invalid characters. "
    }

    static func aclFileDuplicateUser(_ name: [UInt8], _ line: Int) -> String {
        "WARNING: Duplicate user '\(String(decoding: name, as: UTF8.self))' found on line \(line). "
    }

    static func aclFileUnmatchedParenthesis(_ file: String, _ line: Int) -> String {
        "\(file):\(line): Unmatched parenthesis in selector definition."
    }

    static func aclFileUnknownName(_ file: String, _ line: Int, _ rule: [UInt8]) -> String {
        "\(file):\(line): Error in applying operation '\(String(decoding: rule, as: UTF8.self))': \(aclRuleReason(.unknownCommandOrCategory)). "
    }

    static func aclFileRuleError(_ file: String, _ line: Int, _ error: ACLRuleError) -> String {
        "\(file):\(line): \(aclRuleReason(error)). "
    }

    static func aclLoadOpenFailed(_ path: String, _ reason: String) -> String {
        "Error loading ACLs, opening file '\(path)': \(reason)"
    }

    public static let aclLoadNoChange = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
    public static let usernameSpaces = "ERR Usernames can't contain spaces or null characters"
    public static let defaultUserNotRemovable = "ERR The 'default' user cannot be removed"
    public static let aclNoFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
    public static let aclSaveFailed = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
    public static let genpassBits = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"

    public static func unknownCategory(_ name: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Unknown category '".utf8) + cString(name, limit: 128) + [39])
    }

    public static func dryRunUserNotFound(_ name: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR User '".utf8) + cString(name) + Array("' not found".utf8))
    }

    public static func dryRunCommandNotFound(_ name: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Command '".utf8) + cString(name) + Array("' not found".utf8))
    }

    public static let outOfMemory = "OOM command not allowed when used memory > 'maxmemory'."
    public static let noConfigFile = "ERR The server is running without a config file"

    // COMMAND GETKEYS / GETKEYSANDFLAGS.
    public static let getkeysInvalidCommand = "ERR Invalid command specified"
    public static let getkeysNoKeys = "ERR The command has no key arguments"
    public static let getkeysWrongArgumentCount = "ERR Invalid number of arguments specified for command"
    public static let getkeysInvalidArguments = "ERR Invalid arguments specified for command"

    public static func atLeastOneInputKey(_ fullName: String) -> String {
        "ERR at least 1 input key is needed for '\(fullName)' command"
    }

    public static func unsupportedOption(_ option: String) -> String {
        "ERR Unsupported option \(option)"
    }

    /// CLIENT LIST / CLIENT KILL TYPE with a name that is no client type.
    public static func unknownClientType(_ name: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Unknown client type '".utf8) + cString(name, limit: Int.max) + [39])
    }

    /// CLIENT KILL USER with a name no user has.
    public static func noSuchUser(_ name: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR No such user '".utf8) + cString(name, limit: Int.max) + [39])
    }

    public static let noReplicas = "NOREPLICAS Not enough good replicas to write."
    public static let debugNotAllowed = protectedNotAllowed("DEBUG", option: "enable-debug-command")
    public static let moduleNotAllowed = protectedNotAllowed("MODULE", option: "enable-module-command")

    private static func protectedNotAllowed(_ command: String, option: String) -> String {
        "ERR \(command) command not allowed. If the \(option) option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    }

    // Replication's master side; a server without cluster or modules (ReplicationCommands, ClusterCommands, ModuleCommands).
    public static let clusterDisabled = "ERR This instance has cluster support disabled"
    public static let invalidMasterPort = "ERR Invalid master port"
    public static let noMasterLink = "NOMASTERLINK Can't SYNC while not connected with my master"
    public static let replicaofFromReplica = "ERR Command is not valid when client is a replica."
    public static let readOnlyReplica = "READONLY You can't write against a read only replica."
    public static let masterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    public static let scriptWriteOnReadOnlyReplica = "READONLY Can not run script with write flag on readonly replica"
    public static let scriptStaleWithoutFlag = "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script."
    public static let unblockedByRoleChange = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
    public static let waitOnReplica = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."
    public static let syncWithPendingOutput = "ERR SYNC and PSYNC are invalid with pending output"
    public static let psyncFailoverToMaster = "ERR PSYNC FAILOVER can't be sent to a master."
    public static let psyncFailoverReplid = "ERR PSYNC FAILOVER replid must match my replid."
    public static let rdbOnlyRange = "ERR value is out of range, value must between 0 and 1"
    public static func replconfUnknown(_ option: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Unrecognized REPLCONF option: ".utf8) + cString(option, limit: Int.max))
    }
    public static let filteredNeedsEOF = "ERR Filtered replica requires EOF capability"
    public static func rdbFilterUnsupported(_ option: some Collection<UInt8>) -> [UInt8] {
        oneLine(Array("ERR Unsupported rdb-filter-only option: ".utf8) + cString(option, limit: Int.max))
    }
    public static func replconfAddressTooLong(_ length: Int) -> String {
        "ERR REPLCONF ip-address provided by replica instance is too long: \(length) bytes"
    }
    public static let noFailoverInProgress = "ERR No failover in progress."
    public static let failoverTimeout = "ERR FAILOVER timeout must be greater than 0"
    public static let failoverWithoutReplicas = "ERR FAILOVER requires connected replicas."
    public static let failoverInProgress = "ERR FAILOVER already in progress."
    public static let failoverOnReplica = "ERR FAILOVER is not valid when server is a replica."
    public static let failoverForceNeedsTarget = "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    public static let failoverNotReplica = "ERR FAILOVER target HOST and PORT is not a replica."
    public static let failoverTargetOffline = "ERR FAILOVER target replica is not online."
    public static let syncWhileFailingOver = "NOMASTERLINK Can't SYNC while failing over"
    public static let replicationSnapshotFailed = "ERR BGSAVE failed, replication can't continue"
    public static let replicaofWhileFailingOver = "ERR REPLICAOF not allowed while failing over."
    public static let migrateKeysNeedEmptyKey = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
    public static let migrateConnect = "IOERR error or timeout connecting to the client"

    public static func migrateIO(writing: Bool) -> String {
        "IOERR error or timeout \(writing ? "writing" : "reading") to target instance"
    }

    /// MIGRATE's target refused a command: its error line, without the leading '-'.
    public static func migrateTargetError(_ line: some Collection<UInt8>) -> [UInt8] {
        oneLine(Array("ERR Target instance replied with error: ".utf8) + cString(line))
    }

    public static let moduleLoadFailed = "ERR Error loading the extension. Please check the server logs."
    public static let noSuchModule = "ERR Error unloading module: no such module with that name"

    public static func wrongArity(_ fullName: String) -> String {
        "ERR wrong number of arguments for '\(fullName)' command"
    }

    public static func invalidExpireTime(_ command: String) -> String {
        "ERR invalid expire time in '\(command)' command"
    }

    public static func unknownSubcommand(_ subcommand: UnsafeRawBufferPointer, of command: String) -> [UInt8] {
        oneLine(Array("ERR unknown subcommand '".utf8) + cString(subcommand, limit: 128) + Array("'. Try \(command.uppercased()) HELP.".utf8))
    }

    /// A container's subcommand called with the wrong arguments (Redis's addReplySubcommandSyntaxError).
    public static func subcommandSyntax(_ args: Arguments) -> [UInt8] {
        oneLine(Array("ERR unknown subcommand or wrong number of arguments for '".utf8) + cString(args[1], limit: 128)
                + Array("'. Try \(args.string(0).uppercased()) HELP.".utf8))
    }

    /// "unknown command 'x', with args beginning with: 'a' 'b' " (raw client bytes, as Redis echoes them).
    public static func unknownCommand(_ args: Arguments) -> [UInt8] {
        var listed: [UInt8] = []
        var index = 1
        while index < args.count && listed.count < 128 {
            listed += [39] + cString(args[index], limit: 128 - listed.count) + [39, 32]
            index += 1
        }
        return oneLine(Array("ERR unknown command '".utf8) + cString(args[0], limit: 128) + Array("', with args beginning with: ".utf8) + listed)
    }

    /// What C's `%.Ns` prints of an argument: up to `limit` bytes, stopping at a NUL.
    public static func cString(_ bytes: some Collection<UInt8>, limit: Int = .max) -> [UInt8] {
        Array(bytes.prefix { $0 != 0 }.prefix(limit))
    }

    /// Error replies are one line: Redis trims CR and LF from both ends, then
    /// turns the ones inside into spaces.
    public static func oneLine(_ text: [UInt8]) -> [UInt8] {
        let isLineBreak: (UInt8) -> Bool = { $0 == 13 || $0 == 10 }
        guard let first = text.firstIndex(where: { !isLineBreak($0) }),
              let last = text.lastIndex(where: { !isLineBreak($0) }) else { return [] }
        return text[first...last].map { isLineBreak($0) ? 32 : $0 }
    }

    // MARK: - Scripting

    public static let noScript = "NOSCRIPT No matching script. Please use EVAL."
    public static let numKeysTooMany = "ERR Number of keys can't be greater than number of args"
    public static let numKeysNegative = "ERR Number of keys can't be negative"
    public static let scriptFlushOption = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    /// Not a Redis text: Redis cannot start without its interpreter.
    public static let scriptingUnavailable = "ERR the Lua interpreter could not be started"
    public static let scriptWriteFlagOnReadOnlyCommand = "ERR Can not execute a script with write flag using *_ro command."
    public static let scriptNotAllowOOM = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
    public static let noScriptRunning = "NOTBUSY No scripts in execution right now."
    public static let scriptUnkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    public static let busyScript = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    public static let busyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    public static let luaStackLimit = "ERR reached lua stack limit"
    public static let scriptUnknownCommand = "ERR Unknown Redis command called from script"
    public static let scriptWrongArity = "ERR Wrong number of args calling Redis command from script"
    public static let scriptCommandNotAllowed = "ERR This Redis command is not allowed from script"
    public static let scriptCommandOnStaleReplica = "ERR Can not execute the command on a stale replica"
    public static let scriptWriteInReadOnly = "ERR Write commands are not allowed from read-only scripts."
    /// Not a Redis text: SCRIPT DEBUG's debugger (LDB) is not built in.
    public static let scriptDebugUnsupported = "ERR SCRIPT DEBUG is not supported by this server"

    public static let invalidLibraryName = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

    static let notAFunction = "ERR given type is not a function"
    static let functionPayloadUnreadable = "ERR Failed loading library payload"
    public static func functionExists(_ name: String) -> String { "ERR Function \(name) already exists" }
    /// FUNCTION RESTORE without REPLACE (unquoted, unlike FUNCTION LOAD's).
    public static func restoredLibraryExists(_ name: String) -> String { "ERR Library \(name) already exists" }

    /// Logged when a snapshot's library does not load (the load then fails): Redis's
    /// words, with its reason as FUNCTION LOAD would answer it but without the error code.
    public static func libraryLoadFailed(_ reply: String) -> String {
        "Failed loading library, " + (reply.hasPrefix("ERR ") ? String(reply.dropFirst(4)) : reply)
    }
    /// DEBUG RELOAD could not read the snapshot back.
    public static let reloadFailed = "ERR Error trying to load the RDB dump"

    /// A script's command refused by the caller's ACL rules.
    public static func scriptNoPermission(_ denial: ACLDenial) -> String {
        let reason = switch denial {
        case .command: "can't run this command or subcommand"
        case .key: "can't access at least one of the keys mentioned in the command arguments"
        case .channel: "can't publish to the channel mentioned in the command"
        }
        return "ERR The user executing the script \(reason)"
    }

    // MARK: - DUMP, RESTORE, SORT

    public static let dumpPayloadWrong = "ERR DUMP payload version or checksum are wrong"
    public static let badDataFormat = "ERR Bad data format"
    public static let busyKey = "BUSYKEY Target key name already exists."
    public static let invalidTTL = "ERR Invalid TTL value, must be >= 0"
    public static let invalidIdleTime = "ERR Invalid IDLETIME value, must be >= 0"
    public static let invalidFrequency = "ERR Invalid FREQ value, must be >= 0 and <= 255"
    public static let sortScoreNotDouble = "ERR One or more scores can't be converted into double"
    public static let sortByDeniedByACL = "ERR BY option of SORT denied due to insufficient ACL permissions."
    public static let sortGetDeniedByACL = "ERR GET option of SORT denied due to insufficient ACL permissions."
}

// MARK: - Streams (t_stream.c)

extension ErrorReply {
    public static let streamInvalidID = "ERR Invalid stream ID specified as stream command argument"
    public static let streamMaxLenAndMinID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    public static let streamNegativeMaxLen = "ERR The MAXLEN argument must be >= 0."
    public static let streamNegativeLimit = "ERR The LIMIT argument must be >= 0."
    public static let streamLimitWithoutStrategy = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    public static let streamTrimWithoutStrategy = "ERR syntax error, XTRIM must be called with a trimming strategy"
    public static let streamLimitWithoutApproximation = "ERR syntax error, LIMIT cannot be used without the special ~ option"
    public static let streamAddZeroID = "ERR The ID specified in XADD must be greater than 0-0"
    public static let streamExhausted = "ERR The stream has exhausted the last possible ID, unable to add more items"
    public static let streamAddIDTooSmall = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    public static let streamElementsTooLarge = "ERR Elements are too large to be stored"
    public static let streamInvalidStart = "ERR invalid start ID for the interval"
    public static let streamInvalidEnd = "ERR invalid end ID for the interval"
    public static let streamUnbalanced = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    public static let streamGroupOnlyInReadGroup = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    public static let streamNoAckOnlyInReadGroup = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
    public static let streamMissingGroup = "ERR Missing GROUP option for XREADGROUP"
    public static let streamDollarInReadGroup = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
    public static let streamGreaterOnlyInReadGroup = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
    public static let streamEntriesReadInvalid = "ERR value for ENTRIESREAD must be positive or -1"
    public static let streamGroupNeedsKey = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    public static let streamBusyGroup = "BUSYGROUP Consumer Group name already exists"
    public static let streamEntriesAddedNegative = "ERR entries_added must be positive"
    public static let streamSetIDBelowMaxDeleted = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    public static let streamSetIDBelowTop = "ERR The ID specified in XSETID is smaller than the target stream top item"
    public static let streamEntriesAddedBelowLength = "ERR The entries_added specified in XSETID is smaller than the target stream length"
    public static let streamCountTooHigh = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
    public static let streamDeletedWhileBlocked = "UNBLOCKED the stream key no longer exists"

    public static func streamBlockInScript(_ command: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR ".utf8) + cString(command, limit: Int.max) + Array(" command is not allowed with BLOCK option from scripts".utf8))
    }

    /// XPENDING, XCLAIM, XAUTOCLAIM (and XREADGROUP, `inReadGroup`) on a missing key or group.
    public static func noGroup(key: UnsafeRawBufferPointer, group: UnsafeRawBufferPointer, inReadGroup: Bool = false) -> [UInt8] {
        oneLine(Array("NOGROUP No such key '".utf8) + cString(key, limit: Int.max) + Array("' or consumer group '".utf8)
                + cString(group, limit: Int.max) + (inReadGroup ? Array("' in XREADGROUP with GROUP option".utf8) : [39]))
    }

    public static func noGroupInXGroup(key: UnsafeRawBufferPointer, group: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("NOGROUP No such consumer group '".utf8) + cString(group, limit: Int.max) + Array("' for key name '".utf8)
                + cString(key, limit: Int.max) + [39])
    }

    public static func unrecognizedClaimOption(_ option: UnsafeRawBufferPointer) -> [UInt8] {
        oneLine(Array("ERR Unrecognized XCLAIM option '".utf8) + cString(option, limit: Int.max) + [39])
    }
}

extension ErrorReply {
    public static let streamGroupGoneWhileBlocked = "NOGROUP the consumer group this client was blocked on no longer exists"
    public static let claimMinIdle = "ERR Invalid min-idle-time argument for XCLAIM"
    public static let claimIdle = "ERR Invalid IDLE option argument for XCLAIM"
    public static let claimTime = "ERR Invalid TIME option argument for XCLAIM"
    public static let claimRetryCount = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
    public static let autoClaimMinIdle = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
    public static let autoClaimCount = "ERR COUNT must be > 0"
}

/// CONFIG SET / REWRITE, CLIENT SETNAME / SETINFO, FUNCTION, SCRIPT DEBUG, DECRBY and DEBUG texts.
extension ErrorReply {
    public static func clientSetInfoOption(_ option: String) -> String { "ERR Unrecognized option '\(option)'" }
    public static func clientAttributeCharacters(_ attribute: String) -> String {
        "ERR \(attribute) cannot contain spaces, newlines or special characters."
    }
    public static func configSetUnknown(_ name: String) -> String { "ERR Unknown option or number of arguments for CONFIG SET - '\(name)'" }
    public static func configSetFailed(_ name: String, _ reason: String) -> String {
        "ERR CONFIG SET failed (possibly related to argument '\(name)') - \(reason)"
    }
    public static func configRewriteFailed(_ reason: String) -> String { "ERR Rewriting config file: \(reason)" }
    public static let resp2NotSupported = "ERR RESP2 is not supported by this command"
    public static let debugProtocolType = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
    public static let debugReloadOption = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    public static let functionNotFound = "ERR Function not found"
    public static let functionBadKeyCount = "ERR Bad number of keys provided"
    public static func functionLoadOption(_ option: String) -> String { "ERR Unknown option given: \(option)" }
    public static let functionCodeMissing = "ERR Function code is missing"
    public static let libraryNotFound = "ERR Library not found"
    public static let functionFlushOption = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
    public static let functionListLibraryName = "ERR library name argument was not given"
    public static func functionListArgument(_ argument: String) -> String { "ERR Unknown argument \(argument)" }
    public static let functionRestorePolicy = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    public static let scriptDebugMode = "ERR Use SCRIPT DEBUG YES/SYNC/NO"
    public static let decrementOverflow = "ERR decrement would overflow"
}

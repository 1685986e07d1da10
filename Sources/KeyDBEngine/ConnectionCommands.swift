import KeyDBRESP

/// Commands about the connection itself (PING, SELECT, HELLO, AUTH...).
enum ConnectionCommands {
    static func ping(_ c: ClientSession, _ args: Arguments) {
        // A RESP2 subscriber's PING answers in the shape of a message: [pong, argument or ""].
        if c.isSubscribed && !c.resp3 && args.count <= 2 {
            c.reply.writeArrayHeader(2)
            c.reply.writeBulk("pong")
            return args.count == 2 ? c.reply.writeBulk(args[1]) : c.reply.writeBulk("")
        }
        switch args.count {
        case 1: c.reply.writeSimpleString("PONG")
        case 2: c.reply.writeBulk(args[1])
        default: c.replyError(ErrorReply.wrongArity("ping"))
        }
    }

    static func echo(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeBulk(args[1])
    }

    static func quit(_ c: ClientSession, _ args: Arguments) {
        c.replyOK()
        c.closeAfterReply = true
    }

    static func select(_ c: ClientSession, _ args: Arguments) {
        guard let index = c.int32Argument(args, 1) else { return }
        guard let db = c.engine.keyspace.database(index) else { return c.replyError(ErrorReply.dbIndexOutOfRange) }
        c.db = db
        c.replyOK()
    }

    /// AUTH [username] password — the default user's password is `requirepass`.
    static func auth(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.syntax) }
        // The slow log and monitors never show credentials, whatever the outcome.
        for index in 1..<args.count { c.redact(index) }
        if args.count == 2 && c.engine.acl.defaultUser.noPassword {
            return c.replyError(ErrorReply.authNotConfigured)
        }
        let user = args.count == 3 ? args.bytes(1) : Array("default".utf8)
        guard c.engine.authenticate(c, userName: user, password: args[args.count - 1], command: args.bytes(0)) else {
            return c.replyError(ErrorReply.wrongPass)
        }
        c.replyOK()
    }

    /// HELLO [protover [AUTH username password] [SETNAME name]]: switches to
    /// RESP2 or RESP3 (ReplyFrames.swift) and describes the server.
    static func hello(_ c: ClientSession, _ args: Arguments) {
        var index = 1
        var version: Int64? = nil
        if args.count >= 2 {
            guard let requested = args.int64(1) else { return c.replyError(ErrorReply.helloProtocolNotInteger) }
            guard requested == 2 || requested == 3 else { return c.replyError(ErrorReply.noProto) }
            version = requested
            index = 2
        }
        var newName: Bytes?? = nil
        while index < args.count {
            let more = args.count - 1 - index
            if args.matches(index, "auth") && more >= 2 {
                c.redact(index + 1)
                c.redact(index + 2)
                guard c.engine.authenticate(c, userName: args.bytes(index + 1), password: args[index + 2], command: args.bytes(0)) else {
                    return c.replyError(ErrorReply.wrongPass)
                }
                index += 3
            } else if args.matches(index, "setname") && more >= 1 {
                guard let name = ClientCommand.validName(args[index + 1]) else { return c.replyError(ErrorReply.clientNameSpaces) }
                newName = .some(name)
                index += 2
            } else {
                return c.replyError(bytes: ErrorReply.oneLine(Array("ERR Syntax error in HELLO option '".utf8) + ErrorReply.cString(args[index], limit: .max) + [39]))
            }
        }
        guard !c.mustAuthenticate else { return c.replyError(ErrorReply.helloNoAuth) }
        if let version { c.resp3 = version == 3 }
        if let newName { c.name = newName }
        c.replyMapHeader(7)
        c.reply.writeBulk("server")
        c.reply.writeBulk("redis")
        c.reply.writeBulk("version")
        c.reply.writeBulk(ServerIdentity.redisVersion)
        c.reply.writeBulk("proto")
        c.reply.writeIntegerReply(c.resp3 ? 3 : 2)
        c.reply.writeBulk("id")
        c.reply.writeIntegerReply(c.id)
        c.reply.writeBulk("mode")
        c.reply.writeBulk("standalone")
        c.reply.writeBulk("role")
        c.reply.writeBulk("master")
        c.reply.writeBulk("modules")
        c.reply.writeArrayHeader(0)
    }

    /// RESET: back to a fresh connection's state.
    static func reset(_ c: ClientSession, _ args: Arguments) {
        c.db = c.engine.keyspace.databases[0]
        c.transaction = nil
        c.engine.unwatchAll(c)
        c.engine.unsubscribeAll(c)
        c.engine.removeMonitor(c)
        c.name = nil
        c.resp3 = false
        c.engine.disableTracking(c)
        c.user = c.engine.acl.defaultUser
        c.authenticated = c.user.noPassword && c.user.enabled
        c.aclUnrestricted = c.user.isUnrestricted
        c.reply.writeSimpleString("RESET")
    }
}

/// Compares without an early exit, so timing does not reveal the password.
func constantTimeEquals(_ expected: [UInt8], _ given: [UInt8]) -> Bool {
    guard expected.count == given.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<expected.count { difference |= expected[i] ^ given[i] }
    return difference == 0
}

/// What the server says it is, to clients that check (INFO, HELLO).
public enum ServerIdentity {
    /// The Redis version whose behaviour SwiftKeyDB follows.
    public static let redisVersion = "7.0.15"
    /// The same as one number, 0x00MMmmpp (scripts read it as redis.REDIS_VERSION_NUM).
    public static let redisVersionNumber = 0x07000f
    public static let name = "SwiftKeyDB"
    public static let version = "0.1.0"
}

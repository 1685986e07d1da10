import KeyDBRESP

/// The commands a client queued after MULTI, copied out of the read buffer.
public struct Transaction: Sendable {
    /// Each queued argv, as one byte array plus spans into it.
    private var commands: [(bytes: [UInt8], spans: [ArgumentSpan])] = []
    /// A queue-time error (unknown command, wrong arity) makes EXEC refuse to run.
    public private(set) var aborted = false
    /// A queued command may change the dataset or replicate: CLIENT PAUSE WRITE holds EXEC.
    public private(set) var mayReplicate = false
    /// A queued command writes: EXEC is refused while writes are (-MISCONF), as the command would be.
    public private(set) var writes = false
    /// A queued command may grow the dataset: under maxmemory, EXEC is refused (-OOM) as it would be.
    public private(set) var denyOOM = false
    /// A queued command runs a script: EXEC runs on the script stack, where the script may pause.
    public private(set) var runsScripts = false
    /// A queued command may not serve stale data: a replica whose link is down refuses EXEC (-MASTERDOWN).
    public private(set) var deniesStale = false

    public init() {}

    public var count: Int { commands.count }

    mutating func queue(_ args: Arguments, flags: CommandFlags) {
        if flags.contains(.write) || flags.contains(.mayReplicate) { mayReplicate = true }
        if flags.contains(.write) { writes = true }
        if flags.contains(.denyOOM) { denyOOM = true }
        if flags.contains(.runsScript) { runsScripts = true }
        if !flags.contains(.stale) { deniesStale = true }
        var bytes: [UInt8] = []
        var spans: [ArgumentSpan] = []
        for index in 0..<args.count {
            spans.append(ArgumentSpan(offset: bytes.count, count: args[index].count))
            bytes.append(contentsOf: args[index])
        }
        commands.append((bytes, spans))
    }

    mutating func abort() { aborted = true }

    /// Calls `body` with each queued command's arguments, in order.
    func forEach(_ body: (Arguments) -> Void) {
        for command in commands {
            command.bytes.withUnsafeBytes { bytes in
                command.spans.withUnsafeBufferPointer { spans in
                    // An argv of empty strings has no storage; any valid pointer will do.
                    let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                    body(Arguments(base: base, spans: spans))
                }
            }
        }
    }
}

/// MULTI / EXEC / DISCARD (Redis's multi.c); WATCH is in Watch.swift.
enum TransactionCommands {
    static func multi(_ c: ClientSession, _ args: Arguments) {
        guard c.transaction == nil else { return c.replyError(ErrorReply.multiNested) }
        c.transaction = Transaction()
        c.replyOK()
    }

    static func discard(_ c: ClientSession, _ args: Arguments) {
        guard c.transaction != nil else { return c.replyError(ErrorReply.discardWithoutMulti) }
        c.transaction = nil
        c.engine.unwatchAll(c)
        c.replyOK()
    }

    /// Runs the queued commands back to back: the keyspace lock is held for the
    /// whole read batch, so no other client's command runs in between.
    static func exec(_ c: ClientSession, _ args: Arguments) {
        guard let transaction = c.transaction else { return c.replyError(ErrorReply.execWithoutMulti) }
        c.transaction = nil
        let watchBroken = c.engine.watchBroken(c)
        c.engine.unwatchAll(c)
        guard !transaction.aborted else { return c.replyError(ErrorReply.execAbort) }
        // A watched key changed since WATCH: nothing runs, the reply is the null array.
        guard !watchBroken else { return c.replyNullArray() }
        c.reply.writeArrayHeader(transaction.count)
        // A script in it may pause past busy-reply-threshold: the rest then runs when it ends.
        guard transaction.runsScripts else { return run(transaction, for: c) }
        c.engine.scripting.runOnStack(for: c) { run(transaction, for: c) }
    }

    private static func run(_ transaction: Transaction, for c: ClientSession) {
        // Blocking commands inside a transaction answer at once, as in Redis.
        c.denyBlocking = true
        defer { c.denyBlocking = false }
        transaction.forEach { queued in
            // Checked at queue time; looked up again because the table is the single source.
            guard let command = c.engine.commands.lookup(queued) else { return }
            // The user's rules may have changed since the command was queued.
            if !c.aclUnrestricted, let denial = c.engine.aclDenial(command, queued, for: c, context: .multi) {
                return c.replyError(ErrorReply.noPermissionAtExec(denial))
            }
            c.engine.call(command, queued, for: c)
        }
    }
}

/// One script invocation (Redis's scriptRunCtx): who called it, what it may do, and
/// where it stands. It outlives its command when the script pauses past
/// busy-reply-threshold on the script stack.
final class ScriptRun {
    /// The connection's session outlives its run: a caller that disconnects is kept until the script ends.
    unowned(unsafe) let caller: ClientSession
    /// The sha (EVAL) or function name (FCALL) errors and logs name it by.
    let name: String
    let isEval: Bool
    let readOnly: Bool
    let allowOOM: Bool
    /// The server was over maxmemory when the script started (writes that grow it are refused until the first write).
    let outOfMemoryAtStart: Bool
    let interpreter: ScriptInterpreter
    /// The interpreter's stack height before the function and its `arguments` were pushed.
    let base: Int32
    let arguments: Int32
    let startedMicros = Clock.monotonicMicroseconds()
    /// When the current slice began (a paused script runs in slices between other clients' turns).
    var sliceStartedMicros: Int64 = 0
    /// Commands run by the script see this time (Unix ms): keys do not expire mid-script.
    let snapshotTime: Int64
    /// May pause between count-hook calls: not while loading, not for the server's own clients.
    let mayPause: Bool
    var wroteData = false
    var killed = false
    /// Past busy-reply-threshold: other clients are answered -BUSY.
    var timedOut = false
    /// The command that started it, as sent (FUNCTION STATS shows it).
    var commandLine: [[UInt8]] = []
    /// The keys the call declared, kept while its caller tracks keys (client-side caching
    /// remembers them when the script reads).
    var declaredKeys: [Bytes] = []
    /// redis.set_repl: where its writes go (REPL_AOF: the log, REPL_REPLICA: the replicas).
    var propagation = PropagationTargets.all

    init(caller: ClientSession, name: String, isEval: Bool, readOnly: Bool, allowOOM: Bool, outOfMemoryAtStart: Bool,
         interpreter: ScriptInterpreter, base: Int32, arguments: Int32, mayPause: Bool) {
        self.caller = caller
        self.name = name
        self.isEval = isEval
        self.readOnly = readOnly
        self.allowOOM = allowOOM
        self.outOfMemoryAtStart = outOfMemoryAtStart
        self.interpreter = interpreter
        self.base = base
        self.arguments = arguments
        self.snapshotTime = caller.now
        self.mayPause = mayPause
    }

    var elapsedMilliseconds: Int64 { (Clock.monotonicMicroseconds() - startedMicros) / 1000 }
}

/// A command a script paused in, kept for its accounting when it ends.
struct PausedCall {
    let command: CommandSpec
    let arguments: [Bytes]
    let started: Int64
}

import CLuaBridge

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C stack scripts run on (CLuaBridge's script_stack.c). A command that may run
/// a script (EVAL, FCALL, an EXEC holding one) runs its body here; when the script
/// passes busy-reply-threshold, the count hook switches back to the event loop and
/// every frame waits here, however deep, until the caller's connection resumes it.
final class ScriptStack {
    private let stack: OpaquePointer
    /// The body running or paused on the stack; kept alive (with all it captured) until it returns.
    private var body: (() -> Void)?
    /// The thread that entered the stack: only it may resume (its frames' thread-local state is there).
    private var thread = pthread_self()

    /// Reserved, not committed: a page is used only once a script reaches it.
    static let size = 8 << 20

    init?() {
        guard let stack = skdb_script_stack_new(Self.size) else { return nil }
        self.stack = stack
    }

    deinit { skdb_script_stack_free(stack) }

    /// Whether a body runs on the stack now, or is paused on it.
    var isActive: Bool { skdb_script_stack_active(stack) != 0 }

    /// The pointer the count hook pauses.
    var pointer: OpaquePointer { stack }

    /// Runs `body(context)` on the stack; true when it paused instead of returning.
    func run(_ body: @convention(c) (UnsafeMutableRawPointer?) -> Void, _ context: UnsafeMutableRawPointer) -> Bool {
        precondition(!isActive, "the script stack runs one body at a time")
        thread = pthread_self()
        return skdb_script_stack_run(stack, body, context) != 0
    }

    /// Runs `body` on the stack; true when it paused instead of returning.
    func run(_ body: @escaping () -> Void) -> Bool {
        self.body = body
        return run({ context in
            let stack = Unmanaged<ScriptStack>.fromOpaque(context!).takeUnretainedValue()
            stack.body?()
            stack.body = nil
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Continues a paused body; true when it paused again.
    func resume() -> Bool {
        precondition(pthread_equal(thread, pthread_self()) != 0, "a paused script resumes on the thread that ran it")
        return skdb_script_stack_resume(stack) != 0
    }
}

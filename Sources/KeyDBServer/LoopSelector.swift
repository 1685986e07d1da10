import KeyDBEngine
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file descriptor an event loop waits on (its epoll instance on Linux),
/// polled without blocking to learn whether the loop has work before it sleeps.
///
/// SwiftNIO does not expose its selector; the loop names it in its description
/// (`selector = Selector { descriptor = N }`) when asked on its own thread. The
/// number is used only if it is an event-poll descriptor, so a change in that
/// text turns busy polling off rather than polling something else
/// (`LoopSelectorTests` fails then).
enum LoopSelector {
    /// Must run on `loop`; nil if the descriptor cannot be found (busy polling stays off).
    static func descriptor(of loop: EventLoop) -> CInt? {
        loop.assertInEventLoop()
        guard let fd = describedDescriptor(after: "selector = Selector { descriptor = ", in: String(describing: loop)),
              isEventPoll(fd) else { return nil }
        return fd
    }

    private static func isEventPoll(_ fd: CInt) -> Bool {
        #if os(Linux)
        var target = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
        guard length > 0 else { return false }
        return String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "anon_inode:[eventpoll]"
        #else
        return false
        #endif
    }

    /// Returns true as soon as `fd` has events or `interrupted()` is true, false once
    /// `microseconds` have passed without either (or the poll failed).
    @discardableResult
    static func busyPoll(_ fd: CInt, forUpTo microseconds: Int, interrupted: () -> Bool = { false }) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Clock.monotonicMicroseconds() + Int64(microseconds)
        repeat {
            let ready = poll(&entry, 1, 0)
            if ready != 0 || interrupted() { return ready >= 0 }
            // Kernel work waiting for this core (deferred frees, say) runs now,
            // while there is nothing to serve, rather than preempting a later turn.
            sched_yield()
        } while Clock.monotonicMicroseconds() < deadline
        return false
    }
}

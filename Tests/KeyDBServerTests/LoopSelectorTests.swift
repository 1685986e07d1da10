import Foundation
import Glibc
import NIOCore
import NIOPosix
import KeyDBTestSupport
import Synchronization
import Testing
@testable import KeyDBServer

// Busy polling (`busy-poll`) needs the event loop's epoll descriptor, which
// SwiftNIO names only in its description: these fail if that stops working.

#if os(Linux)
@Suite("loop selector")
struct LoopSelectorTests {
    @Test("the event loop's epoll descriptor is found on its thread")
    func descriptorFound() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let fd = try loop.submit { LoopSelector.descriptor(of: loop) }.wait()
        let found = try #require(fd)
        var target = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/self/fd/\(found)", &target, 63)
        #expect(length > 0)
        #expect(String(cString: target) == "anon_inode:[eventpoll]")
    }

    @Test("polling ends when the loop has work, and after its time when it has none")
    func pollEndsOnWork() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        // Nothing to do: the whole 20 ms pass.
        let idle = try loop.submit { () -> Double in
            let fd = LoopSelector.descriptor(of: loop)!
            let start = Date()
            LoopSelector.busyPoll(fd, forUpTo: 20_000)
            return Date().timeIntervalSince(start)
        }.wait()
        #expect(idle >= 0.0199)  // measured with the wall clock, the poll with the monotonic one
        // A connection arriving at a listener on the loop: polling for up to 60 s
        // returns at once (this test would take a minute otherwise).
        let listener = try ServerBootstrap(group: loop).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        let port = try #require(listener.localAddress?.port)
        let busy = try loop.submit { () -> Double in
            let fd = LoopSelector.descriptor(of: loop)!
            Thread.detachNewThread {
                usleep(50_000)
                _ = try? RawClient(port: UInt16(port))
            }
            let start = Date()
            LoopSelector.busyPoll(fd, forUpTo: 60_000_000)
            return Date().timeIntervalSince(start)
        }.wait()
        #expect(busy < 30)
        // Work queued from another thread (which SwiftNIO does not signal to its
        // selector while it runs tasks) ends the poll through `interrupted`.
        let queued = Atomic<Bool>(false)
        let interrupted = try loop.submit { () -> (Bool, Double) in
            let fd = LoopSelector.descriptor(of: loop)!
            Thread.detachNewThread { usleep(50_000); queued.store(true, ordering: .releasing) }
            let start = Date()
            let caught = LoopSelector.busyPoll(fd, forUpTo: 60_000_000) { queued.load(ordering: .acquiring) }
            return (caught, Date().timeIntervalSince(start))
        }.wait()
        #expect(interrupted.0 && interrupted.1 < 30)
    }

    @Test("a server polls only after serving someone: idle, it sleeps")
    func idleServerSleeps() throws {
        let server = try ServerProcess.start(extraArguments: ["--busy-poll", "1000"])
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        for _ in 0..<100 {
            try client.sendCommand(["PING"])
            #expect(try client.readReplyString() == "+PONG\r\n")
        }
        // 100 turns poll for up to 1 ms each; after that the loop must sleep.
        usleep(200_000)
        let before = try Self.cpuTicks(of: server.pid)
        usleep(1_000_000)
        let used = try Self.cpuTicks(of: server.pid) - before
        #expect(used < 30, "an idle server used \(used) of 100 clock ticks in a second")
    }

    /// User plus system CPU time of `pid`, in clock ticks (1/100 s).
    private static func cpuTicks(of pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.lastIndex(of: ")")!...].split(separator: " ")
        return Int(fields[12])! + Int(fields[13])!
    }
}
#endif

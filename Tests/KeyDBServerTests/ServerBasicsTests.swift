import Foundation
import Glibc
import KeyDBTestSupport
import Testing
@testable import KeyDBServer

// End-to-end tests against the real server binary, asserting exact bytes on
// the wire. Each test starts its own server on a free port.

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Renders raw bytes readably in failure messages.
private func show(_ b: [UInt8]) -> String { "\"" + RawClient.escape(b) + "\"" }

@Suite("server basics")
struct ServerBasicsTests {
    @Test("PING -> +PONG")
    func ping() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("PING\r\n")
        #expect(try client.readReplyString() == "+PONG\r\n")
        try client.sendCommand(["PING"])
        #expect(try client.readReplyString() == "+PONG\r\n")
    }

    @Test("inline commands as typed into nc")
    func ncExample() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        // printf 'PING\r\nSET a "b c"\r\nGET a\r\n' | nc 127.0.0.1 $PORT
        try client.send("PING\r\nSET a \"b c\"\r\nGET a\r\n")
        let replies = try client.readReplies(3).joined()
        #expect(Array(replies) == bytes("+PONG\r\n+OK\r\n$3\r\nb c\r\n"), "got \(show(Array(replies)))")
        #expect(client.bufferedBytes.isEmpty)
    }

    @Test("10,000 pipelined INCRs in one send are answered in order")
    func pipelinedIncr() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        let one = RawClient.encodeCommand(["INCR", "counter"])
        var batch: [UInt8] = []
        batch.reserveCapacity(one.count * 10_000)
        for _ in 0..<10_000 { batch += one }
        try client.send(batch)
        for i in 1...10_000 {
            let reply = try client.readReply()
            guard reply == bytes(":\(i)\r\n") else {
                Issue.record("reply #\(i): got \(show(reply))")
                return
            }
        }
        #expect(try client.command(["GET", "counter"]) == bytes("$5\r\n10000\r\n"))
    }

    @Test("a connection's reply buffer is reused across batches of every size")
    func replyBufferReuse() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        let big = String(repeating: "v", count: 40_000)
        #expect(try client.command(["SET", "big", big]) == bytes("+OK\r\n"))
        // Small, larger than the kept size, small again, then a pipeline mixing both:
        // each reply must be whole and in order whichever buffer it was written into.
        for round in 0..<50 {
            #expect(try client.command(["SET", "k", "\(round)"]) == bytes("+OK\r\n"))
            #expect(try client.command(["GET", "big"]) == bytes("$40000\r\n\(big)\r\n"))
            #expect(try client.command(["GET", "k"]) == bytes("$\(String(round).utf8.count)\r\n\(round)\r\n"))
        }
        var batch: [UInt8] = []
        for _ in 0..<20 { batch += RawClient.encodeCommand(["GET", "big"]) + RawClient.encodeCommand(["INCR", "n"]) }
        try client.send(batch)
        for i in 1...20 {
            #expect(try client.readReply() == bytes("$40000\r\n\(big)\r\n"))
            #expect(try client.readReply() == bytes(":\(i)\r\n"))
        }
    }

    @Test("1,000 simultaneous connections each SET and GET their own key")
    func thousandConnections() throws {
        // Needs >1000 descriptors here, and in the server (which inherits the limit).
        let limit = raiseOpenFileLimit(atLeast: 4096)
        try #require(limit >= 1100, "RLIMIT_NOFILE is only \(limit)")
        let server = try ServerProcess.start()
        defer { server.stop() }

        // Open every connection before using any of them.
        var clients: [RawClient] = []
        clients.reserveCapacity(1000)
        for _ in 0..<1000 {
            clients.append(try RawClient(port: server.port, timeout: 10))
        }
        defer { clients.forEach { $0.close() } }

        // All SETs are in flight at once, then all replies are collected.
        for (i, client) in clients.enumerated() {
            try client.sendCommand(["SET", "key:\(i)", "value:\(i)"])
        }
        for (i, client) in clients.enumerated() {
            let reply = try client.readReply()
            guard reply == bytes("+OK\r\n") else {
                Issue.record("SET on connection \(i): got \(show(reply))")
                return
            }
        }
        // Read back in reverse order, each key from its own connection.
        for (i, client) in clients.enumerated().reversed() {
            try client.sendCommand(["GET", "key:\(i)"])
        }
        for (i, client) in clients.enumerated().reversed() {
            let expected = "value:\(i)"
            let reply = try client.readReply()
            guard reply == bytes("$\(expected.utf8.count)\r\n\(expected)\r\n") else {
                Issue.record("GET on connection \(i): got \(show(reply))")
                return
            }
        }
        #expect(try clients[0].command(["DBSIZE"]) == bytes(":1000\r\n"))
    }

    @Test("a protocol error is reported and closes only that connection")
    func protocolErrorClosesConnection() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let bystander = try RawClient(port: server.port)
        #expect(try bystander.command(["SET", "survivor", "yes"]) == bytes("+OK\r\n"))

        let offender = try RawClient(port: server.port)
        try offender.send("*1\r\n$x\r\n")
        let reply = try offender.readReply()
        #expect(reply == bytes("-ERR Protocol error: invalid bulk length\r\n"), "got \(show(reply))")
        #expect(offender.isClosedByPeer(timeout: 5), "server kept the connection open after a protocol error")

        // Already-connected and new clients are unaffected.
        #expect(try bystander.command(["GET", "survivor"]) == bytes("$3\r\nyes\r\n"))
        let newcomer = try RawClient(port: server.port)
        #expect(try newcomer.command(["PING"]) == bytes("+PONG\r\n"))
    }

    @Test("200 random byte blobs neither crash nor wedge the server")
    func fuzzRandomBlobs() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        var rng = SeededGenerator(seed: 0x5EED_CAFE_F00D_0001)
        var halfClosed = 0
        var closedByServer = 0

        for i in 0..<200 {
            let blob = Fuzz.blob(using: &rng)
            let client: RawClient
            do {
                client = try RawClient(port: server.port, timeout: 2)
            } catch {
                Issue.record("blob #\(i): could not connect: \(error)\nserver output:\n\(server.output())")
                return
            }
            // The server may legitimately reset the connection mid-send.
            _ = try? client.send(blob)
            if i.isMultiple(of: 3) {
                client.close() // abrupt close, possibly with unread replies (RST)
                continue
            }
            client.shutdownWrite() // EOF after the blob
            halfClosed += 1
            if client.isClosedByPeer(timeout: 1) { closedByServer += 1 }
            client.close()
        }

        #expect(server.isRunning, "server died during fuzzing:\n\(server.output())")
        let probe = try RawClient(port: server.port)
        #expect(try probe.readReplyAfterSending("PING\r\n") == "+PONG\r\n")
        #expect(try probe.command(["SET", "after-fuzz", "ok"]) == bytes("+OK\r\n"))
        // After EOF from the client the server should close its side too
        // (redis-server does, promptly, for every blob).
        #expect(closedByServer == halfClosed, "\(halfClosed - closedByServer) of \(halfClosed) half-closed connections were left open")
    }

    @Test("SIGTERM shuts the server down with exit status 0")
    func sigtermExitsCleanly() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        #expect(try client.command(["SET", "k", "v"]) == bytes("+OK\r\n"))

        server.terminate(signal: SIGTERM)
        let termination = server.waitForTermination(timeout: 10)
        #expect(termination == .exited(0), "termination: \(termination.map(\.description) ?? "still running"); output:\n\(server.output())")
        #expect(client.isClosedByPeer(timeout: 2))
    }

    @Test("an unknown option makes the binary exit with status 1 and a message")
    func unknownOptionFails() throws {
        let server = try ServerProcess.launch(extraArguments: ["--no-such-option", "1"])
        defer { server.stop() }
        let termination = server.waitForTermination(timeout: 10)
        #expect(termination == .exited(1), "termination: \(termination.map(\.description) ?? "still running")")
        let output = server.output()
        #expect(!output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no diagnostic printed")
        #expect(output.contains("no-such-option"), "message does not name the option:\n\(output)")
    }
}

extension RawClient {
    fileprivate func readReplyAfterSending(_ s: String) throws -> String {
        try send(s)
        return try readReplyString()
    }
}

/// Deterministic fuzz inputs: pure noise, RESP-shaped noise and mutated
/// valid requests (only harmless commands, never SHUTDOWN/FLUSHALL/DEBUG).
enum Fuzz {
    static let seeds: [[UInt8]] = [
        RawClient.encodeCommand(["SET", "fuzz", "value"]),
        RawClient.encodeCommand(["GET", "fuzz"]),
        RawClient.encodeCommand(["INCR", "fuzz:n"]),
        RawClient.encodeCommand(["MGET", "a", "b", "c"]),
        RawClient.encodeCommand(["DEL", "fuzz"]),
        RawClient.encodeCommand(["PING"]),
        Array("PING\r\n".utf8),
        Array("SET a \"b c\"\r\nGET a\r\n".utf8),
        Array("*2\r\n$3\r\nGET\r\n$-1\r\n".utf8),
        Array("*-1\r\n*0\r\n$0\r\n\r\n".utf8),
        Array("*99999999999999999999\r\n".utf8),
        Array("*1\r\n$2147483648\r\n".utf8),
        Array("\"unbalanced quote\r\n".utf8),
    ]

    static let alphabet: [UInt8] = Array("*$+-:\r\n0123456789 \"'\\-1".utf8) + [0, 255]

    static func blob<G: RandomNumberGenerator>(using rng: inout G) -> [UInt8] {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: // uniform noise
            return (0..<Int.random(in: 1...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1: // noise from the protocol's own alphabet
            return (0..<Int.random(in: 1...256, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
        default: // mutated valid request(s)
            var b: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                b += seeds.randomElement(using: &rng)!
            }
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let at = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: b[at] = alphabet.randomElement(using: &rng)!
                case 2: b.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: if b.count > 1 { b.remove(at: at) }
                }
            }
            return b
        }
    }
}

@Suite("start-up checks")
struct StartupCheckTests {
    @Test("a data directory the server cannot write to is warned about")
    func unwritableDataDirectory() {
        let warnings = StartupChecks.warnings(dataDirectory: "/nonexistent/swiftkeydb-data", tcpBacklog: 511)
        #expect(warnings.contains { $0.contains("the data directory '/nonexistent/swiftkeydb-data' is not writable (No such file or directory)") })
        #expect(!StartupChecks.warnings(dataDirectory: NSTemporaryDirectory(), tcpBacklog: 511).contains { $0.contains("data directory") })
    }

    @Test("a tcp-backlog above the kernel's somaxconn is warned about, as Redis does")
    func backlogAboveSomaxconn() throws {
        let text = try String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8)
        let limit = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let above = StartupChecks.warnings(dataDirectory: NSTemporaryDirectory(), tcpBacklog: limit + 1)
        #expect(above.contains("WARNING: The TCP backlog setting of \(limit + 1) cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of \(limit)."))
        #expect(!StartupChecks.warnings(dataDirectory: NSTemporaryDirectory(), tcpBacklog: limit).contains { $0.contains("TCP backlog") })
    }
}

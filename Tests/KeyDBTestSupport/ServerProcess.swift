import Foundation
import Glibc

/// Errors raised while locating, starting or probing the server under test.
public enum ServerProcessError: Error, CustomStringConvertible {
    case binaryNotFound(searched: [String])
    case noFreePort(String)
    case launchFailed(String)
    case exitedBeforeReady(status: Int32, output: String)
    case notReady(timeout: Double, output: String)

    public var description: String {
        switch self {
        case .binaryNotFound(let searched):
            return "swiftkeydb-server binary not found (set SWIFTKEYDB_BIN); looked at: "
                + searched.joined(separator: ", ")
        case .noFreePort(let why):
            return "could not pick a free loopback port: \(why)"
        case .launchFailed(let why):
            return "could not launch the server: \(why)"
        case .exitedBeforeReady(let status, let output):
            return "server exited (status \(status)) before answering PING; output:\n\(output)"
        case .notReady(let timeout, let output):
            return "server did not answer PING within \(timeout)s; output:\n\(output)"
        }
    }
}

/// How a child process ended.
public enum ProcessTermination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Shell convention: the exit code, or 128 + signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// Process-wide settings every socket-using test needs: a peer closing a
/// connection must surface as EPIPE, not kill the test runner with SIGPIPE
/// (hiredis writes with plain write(2)). Evaluated once, lazily and thread-safely.
private let ignoreSIGPIPEOnce: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

/// Call before opening sockets outside `ServerProcess` (which calls it itself).
public func ignoreSIGPIPE() {
    ignoreSIGPIPEOnce
}

/// Raises the soft RLIMIT_NOFILE to at least `minimum` (capped at the hard
/// limit). Returns the resulting soft limit. Call it *before* starting a server
/// so the child inherits the higher limit too.
@discardableResult
public func raiseOpenFileLimit(atLeast minimum: UInt64) -> UInt64 {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    let current = UInt64(limit.rlim_cur)
    if current >= minimum { return current }
    // RLIM_INFINITY (all bits set) does not import as a usable constant.
    let wanted = limit.rlim_max == rlim_t.max ? minimum : min(minimum, UInt64(limit.rlim_max))
    limit.rlim_cur = rlim_t(wanted)
    if setrlimit(resource, &limit) != 0 { return current }
    return wanted
}

/// A `swiftkeydb-server` (or any binary accepting the same flags, e.g.
/// `redis-server`) running on a private loopback port with a fresh data dir.
///
/// `@unchecked Sendable`: the only mutable state (`finalOutput`, `cleanedUp`)
/// is guarded by `lock`; `Foundation.Process` is safe to query and signal from
/// any thread; everything else is immutable after `start`.
public final class ServerProcess: @unchecked Sendable {
    public let port: UInt16
    public let binary: URL
    public let arguments: [String]
    /// Root of this instance's scratch space: `data/` (passed as --dir) and
    /// the stdout/stderr logs live under it. Removed by `stop()`.
    public let rootDirectory: URL
    public let dataDirectory: URL

    private let process: Process
    private let stdoutURL: URL
    private let stderrURL: URL
    private let lock = NSLock()
    private var finalOutput: String?
    private var cleanedUp = false

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    // MARK: Starting

    /// Starts the server and waits until it answers `PING` with `+PONG`.
    /// Retries with a new port (up to `attempts` times) if the child exits
    /// before becoming ready, which covers the pick-a-port/bind race.
    public static func start(
        extraArguments: [String] = [],
        readyTimeout: Double = 10,
        attempts: Int = 3
    ) throws -> ServerProcess {
        ignoreSIGPIPE()
        let binary = try locateBinary()
        var lastError: Error = ServerProcessError.launchFailed("no attempt made")
        for _ in 0..<max(1, attempts) {
            let server = try ServerProcess(binary: binary, extraArguments: extraArguments)
            do {
                try server.waitUntilReady(timeout: readyTimeout)
                return server
            } catch let error as ServerProcessError {
                server.stop()
                lastError = error
                if case .exitedBeforeReady = error { continue }
                throw error
            }
        }
        throw lastError
    }

    /// Starts the reference redis-server (REDIS_SERVER_BIN, else the first on PATH)
    /// the same way, for tests that compare with Redis's own bytes; nil when none is installed.
    public static func startReference(extraArguments: [String] = []) throws -> ServerProcess? {
        ignoreSIGPIPE()
        guard let binary = locateReferenceBinary() else { return nil }
        let server = try ServerProcess(binary: binary, extraArguments: ["--daemonize", "no"] + extraArguments)
        do {
            try server.waitUntilReady(timeout: 10)
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// The reference redis-server's path, when one is installed.
    public static func locateReferenceBinary() -> URL? {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["REDIS_SERVER_BIN"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? URL(fileURLWithPath: explicit) : nil
        }
        for directory in (env["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }

    /// Launches the binary with the standard arguments plus `extraArguments`
    /// without waiting for readiness; for tests about start-up failures.
    /// Use `waitForExit` / `termination` / `output()` afterwards, then `stop()`.
    public static func launch(extraArguments: [String] = []) throws -> ServerProcess {
        ignoreSIGPIPE()
        return try ServerProcess(binary: try locateBinary(), extraArguments: extraArguments)
    }

    private init(binary: URL, extraArguments: [String]) throws {
        self.binary = binary
        self.port = try ServerProcess.pickFreePort()

        let fm = FileManager.default
        rootDirectory = fm.temporaryDirectory
            .appendingPathComponent("swiftkeydb-test-\(UUID().uuidString)", isDirectory: true)
        dataDirectory = rootDirectory.appendingPathComponent("data", isDirectory: true)
        stdoutURL = rootDirectory.appendingPathComponent("stdout.log")
        stderrURL = rootDirectory.appendingPathComponent("stderr.log")
        do {
            try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            guard fm.createFile(atPath: stdoutURL.path, contents: nil),
                  fm.createFile(atPath: stderrURL.path, contents: nil)
            else { throw ServerProcessError.launchFailed("cannot create log files in \(rootDirectory.path)") }
        } catch {
            throw ServerProcessError.launchFailed("cannot prepare \(rootDirectory.path): \(error)")
        }

        arguments = [
            "--port", String(port),
            "--bind", "127.0.0.1",
            "--dir", dataDirectory.path,
            "--appendonly", "no",
            "--save", "",
        ] + extraArguments

        // Output goes to files, not pipes: a chatty server can never block on
        // a full pipe, and the logs survive until stop() for diagnostics.
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = rootDirectory
        process.standardInput = FileHandle.nullDevice
        do {
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try ServerProcess.withSignalsUnblocked { try process.run() }
        } catch {
            try? fm.removeItem(at: rootDirectory)
            throw ServerProcessError.launchFailed("\(binary.path): \(error)")
        }
    }

    deinit {
        stop()
    }

    /// A spawned child inherits the spawning thread's signal mask, and Swift
    /// Testing runs tests on libdispatch worker threads, which block nearly
    /// every signal (SIGTERM, SIGINT, SIGHUP, ...). Foundation.Process offers
    /// no way to set the child's mask, so clear the calling thread's mask just
    /// for the duration of the (synchronous) spawn; otherwise the server would
    /// start with SIGTERM blocked and could never react to it.
    /// (Ignored dispositions, e.g. SIGPIPE after `ignoreSIGPIPE()`, are still
    /// inherited; servers set their own handlers anyway.)
    private static func withSignalsUnblocked<R>(_ body: () throws -> R) rethrows -> R {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try body()
    }

    // MARK: Locating the binary

    /// `SWIFTKEYDB_BIN` if set; otherwise the newest of
    /// `<package root>/.build/{release,debug}/swiftkeydb-server`.
    public static func locateBinary(filePath: String = #filePath) throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["SWIFTKEYDB_BIN"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw ServerProcessError.binaryNotFound(searched: ["SWIFTKEYDB_BIN=\(explicit)"])
            }
            return URL(fileURLWithPath: explicit)
        }

        var searched: [String] = []
        guard let root = packageRoot(from: filePath) else {
            throw ServerProcessError.binaryNotFound(searched: ["no Package.swift above \(filePath)"])
        }
        var best: (url: URL, modified: Date)?
        for configuration in ["release", "debug"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/swiftkeydb-server")
            searched.append(candidate.path)
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: candidate.path)
            let modified = (attributes?[.modificationDate] as? Date) ?? .distantPast
            if best == nil || modified > best!.modified {
                best = (candidate, modified)
            }
        }
        guard let found = best else { throw ServerProcessError.binaryNotFound(searched: searched) }
        return found.url
    }

    private static func packageRoot(from filePath: String) -> URL? {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    // MARK: Ports

    /// Binds an IPv4 loopback socket to port 0, reads back the port the
    /// kernel chose and closes the socket again.
    public static func pickFreePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerProcessError.noFreePort("socket: \(errnoDescription())") }
        defer { _ = Glibc.close(fd) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw ServerProcessError.noFreePort("bind: \(errnoDescription())") }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else { throw ServerProcessError.noFreePort("getsockname: \(errnoDescription())") }
        return UInt16(bigEndian: address.sin_port)
    }

    // MARK: Readiness

    private func waitUntilReady(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !process.isRunning {
                // Give Process a moment to record the status, then report.
                let status = waitForExit(timeout: 1) ?? -1
                throw ServerProcessError.exitedBeforeReady(status: status, output: output())
            }
            if pingOnce() { return }
            if Date() >= deadline {
                throw ServerProcessError.notReady(timeout: timeout, output: output())
            }
            usleep(20_000)
        }
    }

    /// One connect + `PING\r\n`; true iff the answer is exactly `+PONG\r\n`.
    public func pingOnce(timeout: Double = 1) -> Bool {
        guard let client = try? RawClient(port: port, timeout: timeout) else { return false }
        defer { client.close() }
        guard (try? client.send("PING\r\n")) != nil,
              let reply = try? client.readReply()
        else { return false }
        return reply == Array("+PONG\r\n".utf8)
    }

    // MARK: Output

    /// Everything the server wrote to stdout and stderr so far (stdout first).
    public func output() -> String {
        lock.lock()
        defer { lock.unlock() }
        if let finalOutput { return finalOutput }
        return readLogs()
    }

    public func standardOutput() -> String { readLog(stdoutURL) }
    public func standardError() -> String { readLog(stderrURL) }

    private func readLog(_ url: URL) -> String {
        guard let data = try? Data(contentsOf: url) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    private func readLogs() -> String {
        let out = readLog(stdoutURL)
        let err = readLog(stderrURL)
        switch (out.isEmpty, err.isEmpty) {
        case (true, true): return ""
        case (false, true): return out
        case (true, false): return err
        case (false, false): return out + (out.hasSuffix("\n") ? "" : "\n") + "--- stderr ---\n" + err
        }
    }

    // MARK: Signals and exit

    /// Sends `signal` to the server (no-op if it already exited).
    public func terminate(signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        _ = kill(process.processIdentifier, signal)
    }

    /// How the process ended, or nil while it is still running.
    public var termination: ProcessTermination? {
        guard !process.isRunning else { return nil }
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return .signaled(process.terminationStatus)
        @unknown default: return .exited(process.terminationStatus)
        }
    }

    /// Waits up to `timeout` seconds for the process to end. Returns its exit
    /// status (128 + signal number if a signal killed it), nil on timeout.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        waitForTermination(timeout: timeout)?.shellStatus
    }

    /// Like `waitForExit` but distinguishes exit codes from signals.
    public func waitForTermination(timeout: Double) -> ProcessTermination? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline { return nil }
            usleep(5_000)
        }
        return termination
    }

    /// SIGTERM, wait up to `gracePeriod` seconds, then SIGKILL. Captures the
    /// output and removes the scratch directory. Idempotent.
    public func stop(gracePeriod: Double = 5) {
        if process.isRunning {
            terminate(signal: SIGTERM)
            if waitForTermination(timeout: gracePeriod) == nil {
                terminate(signal: SIGKILL)
                _ = waitForTermination(timeout: 5)
            }
        }
        lock.lock()
        defer { lock.unlock() }
        guard !cleanedUp else { return }
        cleanedUp = true
        finalOutput = readLogs()
        try? FileManager.default.removeItem(at: rootDirectory)
    }
}

func errnoDescription(_ code: Int32 = errno) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}

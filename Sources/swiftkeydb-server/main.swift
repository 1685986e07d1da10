// swiftkeydb-server: a Redis-compatible key-value server.
// Usage: swiftkeydb-server [/path/to/redis.conf] [--port 6379] [--bind 127.0.0.1] ...
import KeyDBEngine
import KeyDBServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a message to standard error (the C `stderr` global is not concurrency-safe in Swift 6).
enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

// Writes to a closed socket must fail with EPIPE, not kill the process.
signal(SIGPIPE, SIG_IGN)

do {
    switch try StartupOptions.parse(Array(CommandLine.arguments.dropFirst())) {
    case .printVersion:
        print("SwiftKeyDB server v=\(ServerIdentity.version) redis_version=\(ServerIdentity.redisVersion)")
    case .printHelp:
        print(StartupOptions.usage)
    case .run(var configuration):
        // A supervised server stays in the foreground, as Redis's does.
        if configuration.daemonize && Supervisor.manager(for: configuration.supervised) == nil {
            if configuration.pidFile.isEmpty { configuration.pidFile = Daemon.defaultPidFile }
            Daemon.detach()  // before the server starts any thread
        }
        let server = Server(configuration: configuration)
        do {
            try server.start()
        } catch {
            FileHandleStderr.write("\(error)\n")
            exit(1)
        }
        server.runUntilSignalled()
    }
} catch {
    FileHandleStderr.write("\(error.message)\n")
    exit(1)
}

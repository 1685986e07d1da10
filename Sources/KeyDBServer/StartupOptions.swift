import KeyDBEngine
import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads settings the way redis-server does: an optional config file in
/// redis.conf syntax, then `--name value...` options that override it.
public enum StartupOptions {
    public enum Outcome {
        case run(Configuration)
        case printVersion
        case printHelp
    }

    /// A fatal configuration error, worded as Redis prints it.
    public struct Failure: Error {
        public let message: String
    }

    public static func parse(_ arguments: [String]) throws(Failure) -> Outcome {
        var arguments = arguments
        if let first = arguments.first {
            if first == "-v" || first == "--version" { return .printVersion }
            if first == "-h" || first == "--help" { return .printHelp }
        }
        var configuration = Configuration()
        var lines: [(text: String, words: [String], line: Int?)] = []

        if let first = arguments.first, !first.hasPrefix("--") {
            arguments.removeFirst()
            configuration.configFile = absolutePath(first)
            guard let bytes = SmallFile.read(first) else {
                throw Failure(message: "Fatal error, can't open config file '\(first)': \(errorText(errno))")
            }
            let contents = String(decoding: bytes, as: UTF8.self)
            for (number, raw) in contents.utf8.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
                let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t\r\n")
                if text.isEmpty || text.hasPrefix("#") { continue }
                guard let words = splitWords(text) else {
                    throw configError(line: number + 1, text: text, "Unbalanced quotes in configuration line")
                }
                if !words.isEmpty { lines.append((text, words, number + 1)) }
            }
        }

        // Command-line options: each --name starts a directive, following words are its arguments.
        var current: [String] = []
        func flush() {
            if !current.isEmpty { lines.append((current.joined(separator: " "), current, nil)) }
            current = []
        }
        for argument in arguments {
            if argument.hasPrefix("--") && argument.count > 2 {
                flush()
                current = [String(argument.dropFirst(2))]
            } else {
                guard !current.isEmpty else {
                    throw Failure(message: "Invalid option '\(argument)': options start with --, as in --port 6380")
                }
                current.append(argument)
            }
        }
        flush()

        for (text, words, line) in lines {
            let name = words[0].lowercased()
            // `user <name> <rules...>`: an ACL user, applied once the server starts.
            if name == "user" {
                guard words.count >= 2 else { throw configError(line: line, text: text, "Bad directive or wrong number of arguments") }
                configuration.aclUsers.append(Array(words.dropFirst()))
                continue
            }
            guard let option = Configuration.option(named: name) else {
                throw configError(line: line, text: text, "Bad directive or wrong number of arguments")
            }
            var values = Array(words.dropFirst())
            if option.multiWord {
                if values.count == 1 && !values[0].isEmpty {
                    guard let split = splitWords(values[0]) else {
                        throw configError(line: line, text: text, "Unbalanced quotes in configuration line")
                    }
                    values = split
                }
            } else if values.count != 1 {
                throw configError(line: line, text: text, "wrong number of arguments")
            }
            do {
                try option.set(&configuration, values)
            } catch {
                throw configError(line: line, text: text, error.message)
            }
        }
        // As Redis: a log file that cannot be opened is a configuration error.
        if !configuration.logFile.isEmpty {
            let fd = open(configuration.logFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw configError(line: nil, text: "logfile \(configuration.logFile)", "Can't open the log file: \(errorText(errno))")
            }
            close(fd)
        }
        return .run(configuration)
    }

    static func configError(line: Int?, text: String, _ reason: String) -> Failure {
        let place = line.map { "Reading the configuration file, at line \($0)" } ?? "Reading the command-line options"
        return Failure(message: "\n*** FATAL CONFIG FILE ERROR (\(ServerIdentity.name) \(ServerIdentity.version)) ***\n\(place)\n>>> '\(text)'\n\(reason)")
    }

    /// redis.conf's quoting rules (the same as inline commands).
    static func splitWords(_ text: String) -> [String]? {
        var splitter = InlineSplitter()
        var text = text
        let ok = text.withUTF8 { splitter.split(UnsafeRawBufferPointer($0)) }
        guard ok else { return nil }
        return splitter.spans.map { span in
            String(decoding: splitter.storage[span.offset..<(span.offset + span.count)], as: UTF8.self)
        }
    }

    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        return cText(buffer) + "/" + path
    }

    public static let usage = """
    Usage: swiftkeydb-server [/path/to/redis.conf] [options]
           swiftkeydb-server -v or --version
           swiftkeydb-server -h or --help

    Options use redis-server's names, given as --name value:
      --port 6379  --bind 127.0.0.1  --dir ./data  --databases 16
      --requirepass <password>  --appendonly no  --appendfsync everysec
      --save ""  --loglevel notice  --hz 10  --io-threads 1
      --maxmemory 0  --maxmemory-policy noeviction  --proto-max-bulk-len 512mb
      --maxclients 10000  --timeout 0

    Examples:
      swiftkeydb-server
      swiftkeydb-server --port 7777
      swiftkeydb-server /etc/redis/redis.conf --loglevel verbose
    """
}

/// A NUL-terminated C buffer as a String.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// `strerror` as a String.
func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    var bytes: [UInt8] = []
    var pointer = text
    while pointer.pointee != 0 {
        bytes.append(UInt8(bitPattern: pointer.pointee))
        pointer += 1
    }
    return String(decoding: bytes, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe rewrites for the small files the server
/// owns besides its data (aclfile, the config file).
public enum SmallFile {
    /// The file's bytes; nil with `errno` set when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes += chunk[0..<count]
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
    /// over `path`, so a crash leaves the old file or the new one, never half of
    /// one. Returns nil, or the step that failed and its error.
    static func replace(_ path: String, with bytes: [UInt8]) -> (step: String, error: String)? {
        var template = Array((path + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return ("create", String(cString: strerror(errno))) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: (String, String)? = nil
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                failure = ("write", String(cString: strerror(errno)))
                break
            }
            written += result
        }
        if failure == nil {
            if fsync(fd) != 0 {
                failure = ("sync", String(cString: strerror(errno)))
            } else if fchmod(fd, 0o644) != 0 {
                failure = ("chmod", String(cString: strerror(errno)))
            } else if rename(temporary, path) != 0 {
                failure = ("rename", String(cString: strerror(errno)))
            }
        }
        close(fd)
        if failure != nil { unlink(temporary) }
        return failure
    }

    /// `path` made absolute against the working directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard let resolved = realpath(path, &buffer) else { return path }
        return String(cString: resolved)
    }
}

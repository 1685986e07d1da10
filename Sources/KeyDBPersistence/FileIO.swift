import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation: what was attempted, on which file, and errno's text.
public struct PersistenceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    static func errno(_ action: String, _ path: String) -> PersistenceError {
        PersistenceError("\(action) \(path): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// The few POSIX calls persistence needs, with errors that name the file.
enum FileIO {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && Glibc.errno != EEXIST { throw PersistenceError.errno("Can't create directory", path) }
    }

    /// Opens `path` for writing at chosen offsets (and reading its tail), creating it if needed.
    static func openForWriting(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PersistenceError.errno("Can't open", path) }
        return fd
    }

    /// Creates (or empties) `path` for writing.
    static func create(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PersistenceError.errno("Can't create", path) }
        return fd
    }

    /// Writes all of `bytes`, retrying short writes and interrupts.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        let (_, failure) = write(fd, bytes)
        if let failure { throw PersistenceError("Error writing to \(path): \(failure)") }
    }

    /// Writes as much of `bytes` as the disk takes, at the descriptor's position or at
    /// `offset`: how many bytes made it, and errno's text when not all did.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> (count: Int, failure: String?) {
        var done = 0
        while done < bytes.count {
            let pointer = bytes.baseAddress! + done
            let written = offset.map { pwrite(fd, pointer, bytes.count - done, off_t($0 + done)) }
                ?? Glibc.write(fd, pointer, bytes.count - done)
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                return (done, String(cString: strerror(Glibc.errno)))
            }
            if written == 0 { return (done, "no space written") }
            done += written
        }
        return (done, nil)
    }

    /// Writes `parts` back to back at `offset` (one system call when the disk takes them
    /// whole); errno's text when not all made it.
    static func write(_ fd: Int32, _ parts: [[UInt8]], at offset: Int) -> String? {
        let total = parts.reduce(0) { $0 + $1.count }
        let written = withIOVectors(parts) { pwritev(fd, $0.baseAddress, Int32($0.count), off_t(offset)) }
        if written == total { return nil }
        // Rare (a signal, a nearly full disk): the rest piece by piece.
        var done = max(0, written)
        var position = offset
        for part in parts {
            let skip = min(done, part.count)
            done -= skip
            if skip == part.count { position += part.count; continue }
            let (_, failure) = part[skip...].withUnsafeBytes { write(fd, $0, at: position + skip) }
            if let failure { return failure }
            position += part.count
        }
        return nil
    }

    private static func withIOVectors<R>(_ parts: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> R) -> R {
        func nest(_ index: Int, _ vectors: inout [iovec]) -> R {
            guard index < parts.count else { return vectors.withUnsafeBufferPointer(body) }
            return parts[index].withUnsafeBytes { bytes in
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                return nest(index + 1, &vectors)
            }
        }
        var vectors: [iovec] = []
        vectors.reserveCapacity(parts.count)
        return nest(0, &vectors)
    }

    static func sync(_ fd: Int32, path: String) throws {
        guard fdatasync(fd) == 0 else { throw PersistenceError.errno("Can't fsync", path) }
    }

    /// Makes a rename or a new file in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PersistenceError.errno("Can't open directory", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PersistenceError.errno("Can't fsync directory", directory) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw PersistenceError.errno("Can't rename \(from) to", to) }
    }

    static func remove(_ path: String) { unlink(path) }

    /// Removes `path` now and frees its blocks later: the file stays open while
    /// its name goes, and its last descriptor is closed on a background thread,
    /// where the freeing happens (as Redis's bg_unlink). Unlinking a log file of
    /// some hundred MB held the event loop for 20 ms. (A child forked meanwhile
    /// holds the file too, until it exits.)
    static func removeInBackground(_ path: String) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        unlink(path)
        guard fd >= 0 else { return }
        closer.submit { _ in _ = close(fd) }
    }

    /// The thread `removeInBackground` closes files on; it lives as long as the process.
    private static let closer: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Writes `bytes` to a temporary file, syncs it and renames it over `path` (all or nothing).
    static func replaceAtomically(_ path: String, directory: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = try create(temporary)
        do {
            try bytes.withUnsafeBytes { (buffer) throws in try writeAll(fd, buffer, path: temporary) }
            try sync(fd, path: temporary)
        } catch {
            close(fd)
            remove(temporary)
            throw error
        }
        close(fd)
        try rename(temporary, path)
        // Past the rename the new file is the one in effect: callers must not undo their
        // side of it, so a failing directory sync (its durability, not its content) is not thrown.
        _ = try? syncDirectory(directory)
    }

    /// The whole file; nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if Glibc.errno == ENOENT { return nil }
            throw PersistenceError.errno("Can't open", path)
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw PersistenceError.errno("Can't read", path)
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    static func truncate(_ path: String, to size: Int) throws {
        guard Glibc.truncate(path, off_t(size)) == 0 else { throw PersistenceError.errno("Can't truncate", path) }
    }
}

/// A file mapped read-only into memory (loading reads it front to back once).
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    init?(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw PersistenceError.errno("Can't open", path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PersistenceError.errno("Can't stat", path) }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw PersistenceError.errno("Can't map", path)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

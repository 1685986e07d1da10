import CMemoryStats
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Process memory as INFO reports it.
public enum MemoryStatistics {
    /// INFO mem_allocator, as Redis built with libc names it.
    static let allocatorName = "libc"

    /// Bytes the allocator has handed out and not taken back (INFO used_memory).
    public static func allocatedBytes() -> Int {
        let bytes = Int(swiftkeydb_allocated_bytes())
        return bytes > 0 ? bytes : residentBytes()
    }

    /// Resident set size (INFO used_memory_rss): the second field of /proc/self/statm, in pages.
    static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// glibc's malloc_info XML (MEMORY MALLOC-STATS); nil when glibc is not the allocator.
    static func allocatorReport() -> [UInt8]? {
        var length = 0
        guard let text = swiftkeydb_malloc_info(&length) else { return nil }
        defer { free(text) }
        return Array(UnsafeRawBufferPointer(start: text, count: length))
    }

    /// Gives the heap's free memory back to the system (MEMORY PURGE).
    static func returnFreeMemory() {
        _ = swiftkeydb_malloc_trim()
    }

    static func systemBytes() -> Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fits `maxclients` to the process's open-files limit at start, as Redis's
/// adjustOpenFilesLimit: the limit is raised to maxclients + 32 (for the log,
/// snapshots and listeners) if the system allows, otherwise as far as it will
/// go, and maxclients is lowered to what the limit can serve.
enum OpenFilesLimit {
    static let reserved = 32

    /// The maxclients to run with; `log(warning, text)` reports what changed, with Redis's texts.
    static func fit(maxClients: Int, log: (_ warning: Bool, _ text: String) -> Void) throws -> Int {
        let wanted = rlim_t(maxClients + reserved)
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else {
            log(true, "Unable to obtain the current NOFILE limit (\(String(cString: strerror(errno)))), assuming 1024 and setting the max clients configuration accordingly.")
            return 1024 - reserved
        }
        let original = limit.rlim_cur
        guard original < wanted else { return maxClients }
        var best = wanted
        var failure: Int32 = 0
        // The highest limit the system grants, stepping down 16 at a time.
        while best > original {
            limit.rlim_cur = best
            limit.rlim_max = best
            if setrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 { break }
            failure = errno
            if best < 16 {
                best = original
                break
            }
            best -= 16
        }
        best = max(best, original)
        guard best < wanted else {
            log(false, "Increased maximum number of open files to \(wanted) (it was originally set to \(original)).")
            return maxClients
        }
        guard best > rlim_t(reserved) else {
            throw StartupError("Your current 'ulimit -n' of \(original) is not enough for the server to start. Please increase your open file limit to at least \(wanted). Exiting.")
        }
        let reduced = Int(best) - reserved
        log(true, "You requested maxclients of \(maxClients) requiring at least \(wanted) max file descriptors.")
        log(true, "Server can't set maximum open files to \(wanted) because of OS error: \(String(cString: strerror(failure))).")
        log(true, "Current maximum open files is \(best). maxclients has been reduced to \(reduced) to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.")
        return reduced
    }
}

#if canImport(Glibc)
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif

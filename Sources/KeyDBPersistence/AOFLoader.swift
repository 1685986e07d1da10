import KeyDBEngine
import KeyDBRESP

#if canImport(Glibc)
import Glibc
#endif

/// Replays one AOF file (RESP records, Redis's format) through the engine, the
/// way Redis's loadSingleAppendOnlyFile does: MULTI blocks are applied only when
/// their EXEC is read; a file cut short (or ending inside MULTI) is an error
/// unless the caller allows dropping the torn tail; anything else malformed is
/// refused with the offset where it starts.
///
/// A file written over a preallocated tail (`LogPreallocation`) has its records
/// in batches, each after a `#CRC:` header. Once a file has one, every record
/// must be in a batch whose checksum holds: the first that does not (or a
/// record in none) ends the log as a torn tail would. Records that follow a
/// good batch directly, or after nothing but filler, were appended by another
/// writer (Redis, given the directory) and load as they are.
struct AOFLoader {
    enum Outcome: Equatable {
        case complete
        /// The file ends in a torn record (or an unfinished MULTI): valid up to `validLength`.
        case truncated(validLength: Int)
    }

    /// Runs `body` with the keyspace lock held; the loader takes it per batch of commands.
    let withKeyspace: (() -> Void) -> Void
    let engine: Engine
    let client: ClientSession
    /// Commands replayed per lock hold, so -LOADING replies keep flowing meanwhile.
    static let commandsPerBatch = 1024

    /// Replays `bytes` from `start` (the file `name`, for messages; offsets count from the file's start).
    func replay(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, name: String) throws -> Outcome {
        var parser = RequestParser()
        parser.limits.maxBulkLength = Int.max
        var position = start
        var validUpTo = start
        /// Start offsets of the commands queued since MULTI, and where that MULTI started.
        var queued: [Int] = []
        var multiStart: Int? = nil
        var failure: Error? = nil
        /// Whether the file has batches (`LogPreallocation`), and where the last checked one ends.
        var batches = false
        var checkedUntil = 0
        /// Where the last record or batch header ends: what follows it up to the next one is filler.
        var contentEnd = start
        /// Where a batch that does not check out, or a record in none, cuts the file.
        var torn: Int? = nil
        /// In a file of batches, past the last checked one: only Redis's records may be here.
        func outsideBatches() -> Bool { batches && position >= checkedUntil }

        func run(at start: Int) throws {
            guard case .command = parser.parse(bytes, from: start) else { return }
            let failure = parser.withArguments { spans -> Engine.ReplayFailure? in
                do throws(Engine.ReplayFailure) {
                    try engine.replay(Arguments(base: bytes.baseAddress!, spans: spans), for: client)
                    return nil
                } catch {
                    return error
                }
            }
            switch failure {
            case .unknownCommand(let command):
                throw PersistenceError("Unknown command '\(command)' reading the append only file \(name) at offset \(start)")
            case .wrongArity(let command):
                throw PersistenceError("Bad file format reading the append only file \(name): wrong number of arguments for '\(command)' at offset \(start)")
            case nil: break
            }
        }

        while position < bytes.count && failure == nil && torn == nil {
            withKeyspace {
                var done = 0
                while position < bytes.count && done < Self.commandsPerBatch && failure == nil {
                    if bytes[position] == UInt8(ascii: "#") {
                        // Annotations (#TS:...) and filler are skipped, as Redis does; so is
                        // filler cut short at the end of the file.
                        guard let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                            if bytes[position...].allSatisfy({ $0 == UInt8(ascii: "#") }) { validUpTo = bytes.count }
                            position = bytes.count
                            break
                        }
                        if LogPreallocation.isBatchHeader(bytes, at: position) {
                            // A batch starts where the last ended; one after a gap means a batch in
                            // between was lost whole.
                            guard position == contentEnd, let batch = LogPreallocation.batch(in: bytes, line: position..<newline),
                                  LogPreallocation.verifies(bytes, from: newline + 1, length: batch.length, checksum: batch.checksum) else {
                                torn = contentEnd
                                return
                            }
                            batches = true
                            contentEnd = newline + 1
                            checkedUntil = contentEnd + batch.length
                        }
                        position = newline + 1
                        validUpTo = position
                        continue
                    }
                    if outsideBatches() && bytes[position] != UInt8(ascii: "*") {
                        torn = contentEnd
                        return
                    }
                    guard bytes[position] == UInt8(ascii: "*") else {
                        failure = Self.badFormat(name, position)
                        return
                    }
                    switch parser.parse(bytes, from: position) {
                    case .command(let end):
                        // Outside a batch, in a file of batches: records Redis appended follow the
                        // last content directly, or after filler and its annotations with the
                        // SELECT Redis begins with. Anything else is a batch torn at its start.
                        if outsideBatches() && position != contentEnd
                            && !(parser.arguments.count == 2 && matches(bytes, parser.arguments[0], "select")
                                 && LogPreallocation.isFillerOrTimestamps(bytes, contentEnd..<position)) {
                            torn = contentEnd
                            return
                        }
                        let start = position
                        position = end
                        contentEnd = end
                        done += 1
                        if parser.arguments.count == 1 && matches(bytes, parser.arguments[0], "multi") {
                            guard multiStart == nil else { failure = Self.badFormat(name, start); return }
                            multiStart = start
                        } else if parser.arguments.count == 1 && matches(bytes, parser.arguments[0], "exec") {
                            guard multiStart != nil else { failure = Self.badFormat(name, start); return }
                            do {
                                for offset in queued { try run(at: offset) }
                            } catch {
                                failure = error
                                return
                            }
                            queued.removeAll()
                            multiStart = nil
                            validUpTo = end
                        } else if multiStart != nil {
                            queued.append(start)
                        } else {
                            do { try run(at: start) } catch { failure = error; return }
                            validUpTo = end
                        }
                    case .incomplete:
                        if outsideBatches() { torn = contentEnd }
                        position = bytes.count
                        return
                    case .empty, .inline, .error:
                        if outsideBatches() {
                            torn = contentEnd
                        } else {
                            failure = Self.badFormat(name, position)
                        }
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        if let torn {
            // Whatever follows was never synced either: an fsync would have covered this batch too.
            return .truncated(validLength: min(multiStart ?? torn, torn))
        }
        // A torn last record, or a MULTI whose EXEC never made it to disk.
        if multiStart != nil || validUpTo < bytes.count {
            return .truncated(validLength: multiStart ?? validUpTo)
        }
        return .complete
    }

    private func matches(_ bytes: UnsafeRawBufferPointer, _ span: ArgumentSpan, _ word: StaticString) -> Bool {
        guard span.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            (0..<span.count).allSatisfy { bytes[span.offset + $0] | 0x20 == expected[$0] }
        }
    }

    static func badFormat(_ name: String, _ offset: Int) -> PersistenceError {
        PersistenceError("Bad file format reading the append only file \(name) at offset \(offset): "
            + "make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>")
    }
}

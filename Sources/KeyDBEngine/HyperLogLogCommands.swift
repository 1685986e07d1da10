import KeyDBRESP

/// PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST over HyperLogLog strings
/// (the encoding itself is HyperLogLog.swift).
enum HyperLogLogCommands {
    /// PFADD key [element ...]: 1 when the key was created or a register grew.
    static func pfadd(_ c: ClientSession, _ args: Arguments) {
        let key = args[1]
        let limit = c.engine.hllSparseMaxBytes
        /// Adds every element: how many grew a register, and whether the HLL proved corrupt.
        func addAll(_ hll: inout [UInt8]) -> (updated: Int, corrupt: Bool) {
            var updated = 0
            for index in 2..<args.count {
                switch HyperLogLog.add(&hll, args[index], sparseMaxBytes: limit) {
                case 1: updated += 1
                case -1: return (updated, true)
                default: break
                }
            }
            if updated > 0 { HyperLogLog.invalidateCache(&hll) }
            return (updated, false)
        }
        let outcome: (updated: Int, corrupt: Bool)
        if let slot = c.db.lookup(key, now: c.now) {
            guard isHLL(c, c.db.value(at: slot)) else { return }
            outcome = c.db.editString(at: slot, addAll)
        } else {
            var hll = HyperLogLog.empty()
            let added = addAll(&hll)
            // Creating the key is itself an update.
            HyperLogLog.invalidateCache(&hll)
            c.db.storeString(key, at: nil, Bytes(array: hll), form: KeyTable.rawString, now: c.now)
            outcome = (added.updated + 1, added.corrupt)
        }
        if outcome.corrupt {
            // Registers raised before the corrupt part stay raised; the log keeps the command.
            if outcome.updated > 0 { c.dirty() }
            return c.replyError(ErrorReply.hllCorrupted)
        }
        if outcome.updated > 0 {
            c.dirty(outcome.updated)
            c.notify(.string, "pfadd", key)
        }
        c.reply.writeIntegerReply(outcome.updated > 0 ? 1 : 0)
    }

    /// PFCOUNT key [key ...]: one key answers from (and refreshes) its cached
    /// cardinality; several answer the cardinality of their union.
    static func pfcount(_ c: ClientSession, _ args: Arguments) {
        if args.count > 2 {
            var maxima = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
            guard mergeSources(c, args, from: 1, into: &maxima) != nil else { return }
            return c.reply.writeIntegerReply(Int64(bitPattern: HyperLogLog.estimate(HyperLogLog.histogram(registers: maxima))))
        }
        let key = args[1]
        guard let slot = c.lookupReadSlot(key) else { return c.reply.writeIntegerReply(0) }
        guard isHLL(c, c.db.value(at: slot)) else { return }
        let outcome = c.db.editString(at: slot) { hll -> (count: UInt64, refreshed: Bool)? in
            if let cached = HyperLogLog.cachedCardinality(hll) { return (cached, false) }
            guard let count = hll.withUnsafeBytes(HyperLogLog.count) else { return nil }
            HyperLogLog.setCachedCardinality(&hll, count)
            return (count, true)
        }
        guard let outcome else { return c.replyError(ErrorReply.hllCorrupted) }
        if outcome.refreshed {
            // The cache lives in the value: a change watchers and the log see, as in Redis.
            c.db.signalModified(at: slot)
            c.dirty()
            c.propagate("PFCOUNT" as StaticString, key)
        }
        c.reply.writeIntegerReply(Int64(bitPattern: outcome.count))
    }

    /// PFMERGE destkey [sourcekey ...]: destkey (itself included) raised to every source's registers.
    static func pfmerge(_ c: ClientSession, _ args: Arguments) {
        var maxima = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        guard let anyDense = mergeSources(c, args, from: 1, into: &maxima) else { return }
        let limit = c.engine.hllSparseMaxBytes
        func store(_ hll: inout [UInt8]) -> Bool {
            // A dense source makes the result dense at once rather than by promotion.
            if anyDense {
                guard let dense = HyperLogLog.sparseToDense(hll) else { return false }
                hll = dense
            }
            for register in 0..<HyperLogLog.registerCount where maxima[register] != 0 {
                _ = HyperLogLog.set(&hll, register, maxima[register], sparseMaxBytes: limit)
            }
            HyperLogLog.invalidateCache(&hll)
            return true
        }
        let key = args[1]
        let stored: Bool
        if let slot = c.db.lookup(key, now: c.now) {
            stored = c.db.editString(at: slot, store)
        } else {
            var hll = HyperLogLog.empty()
            stored = store(&hll)
            c.db.storeString(key, at: nil, Bytes(array: hll), form: KeyTable.rawString, now: c.now)
        }
        guard stored else { return c.replyError(ErrorReply.hllCorrupted) }
        c.dirty()
        // Redis names a merge's event "pfadd": it is many adds at once.
        c.notify(.string, "pfadd", key)
        c.replyOK()
    }

    // MARK: - Debugging

    /// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
    static func pfdebug(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.db.lookup(args[2], now: c.now) else { return c.replyError(ErrorReply.hllNoSuchKey) }
        guard isHLL(c, c.db.value(at: slot)) else { return }
        // Redis unshares the value before looking at the subcommand: it reads as raw after.
        c.db.editString(at: slot) { _ in }
        if args.matches(1, "getreg") {
            let outcome = c.db.editString(at: slot) { hll -> (registers: [UInt8], converted: Bool)? in
                let converted = HyperLogLog.encoding(hll) == HyperLogLog.sparse
                guard let dense = HyperLogLog.sparseToDense(hll) else { return nil }
                hll = dense
                let registers = hll.withUnsafeBytes { bytes in
                    (0..<HyperLogLog.registerCount).map { HyperLogLog.denseRegister(bytes, $0) }
                }
                return (registers, converted)
            }
            guard let outcome else { return c.replyError(ErrorReply.hllCorrupted) }
            if outcome.converted { c.dirty() }
            c.reply.writeArrayHeader(outcome.registers.count)
            for value in outcome.registers { c.reply.writeIntegerReply(Int(value)) }
        } else if args.matches(1, "decode") {
            guard case .string(let bytes) = c.db.value(at: slot), bytes.withUnsafeBytes({ $0[4] }) == HyperLogLog.sparse else {
                return c.replyError(ErrorReply.hllNotSparse)
            }
            c.reply.writeBulk(bytes.withUnsafeBytes(HyperLogLog.decode))
        } else if args.matches(1, "encoding") {
            guard case .string(let bytes) = c.db.value(at: slot) else { return }
            c.reply.writeSimpleString(bytes.withUnsafeBytes { $0[4] } == HyperLogLog.dense ? "dense" : "sparse")
        } else if args.matches(1, "todense") {
            let converted = c.db.editString(at: slot) { hll -> Bool? in
                guard HyperLogLog.encoding(hll) == HyperLogLog.sparse else { return false }
                guard let dense = HyperLogLog.sparseToDense(hll) else { return nil }
                hll = dense
                return true
            }
            guard let converted else { return c.replyError(ErrorReply.hllCorrupted) }
            if converted { c.dirty() }
            c.reply.writeIntegerReply(converted ? 1 : 0)
        } else {
            c.replyError(bytes: ErrorReply.pfdebugUnknown(args[1]))
        }
    }

    /// PFSELFTEST: the register packing, then the estimate's error and the
    /// sparse/dense agreement over ten million additions.
    static func pfselftest(_ c: ClientSession, _ args: Arguments) {
        if let failure = HyperLogLogSelfTest.run(sparseMaxBytes: c.engine.hllSparseMaxBytes) {
            return c.replyError(failure)
        }
        c.replyOK()
    }

    // MARK: - Shared

    /// Redis's `isHLLObjectOrReply`: a string that reads as an HLL; false after the error reply.
    private static func isHLL(_ c: ClientSession, _ value: Value) -> Bool {
        guard case .string(let bytes) = value else {
            c.replyError(ErrorReply.wrongType)
            return false
        }
        guard bytes.withUnsafeBytes(HyperLogLog.isValid) else {
            c.replyError(ErrorReply.hllNotHLL)
            return false
        }
        return true
    }

    /// Raises `maxima` to the registers of the HLLs at args[from...] (missing keys
    /// count as empty). Returns whether any was dense; nil after an error reply.
    private static func mergeSources(_ c: ClientSession, _ args: Arguments, from first: Int, into maxima: inout [UInt8]) -> Bool? {
        var anyDense = false
        for index in first..<args.count {
            guard let slot = c.lookupReadSlot(args[index]) else { continue }
            let value = c.db.value(at: slot)
            guard isHLL(c, value), case .string(let bytes) = value else { return nil }
            let merged = bytes.withUnsafeBytes { hll in
                if hll[4] == HyperLogLog.dense { anyDense = true }
                return HyperLogLog.merge(hll, into: &maxima)
            }
            guard merged else {
                c.replyError(ErrorReply.hllCorrupted)
                return nil
            }
        }
        return anyDense
    }
}

import KeyDBRESP

/// BITOP AND|OR|XOR|NOT destkey srckey...: a bitwise operation over strings,
/// the shorter ones read as padded with zero bytes. An empty result deletes destkey.
enum BitOpCommand {
    private enum Operation { case and, or, xor, not }

    static func bitop(_ c: ClientSession, _ args: Arguments) {
        let operation: Operation
        if args.matches(1, "and") { operation = .and }
        else if args.matches(1, "or") { operation = .or }
        else if args.matches(1, "xor") { operation = .xor }
        else if args.matches(1, "not") { operation = .not }
        else { return c.replyError(ErrorReply.syntax) }
        if operation == .not && args.count != 4 { return c.replyError(ErrorReply.bitopNotSingleKey) }

        var sources: [Bytes] = []
        sources.reserveCapacity(args.count - 3)
        for index in 3..<args.count {
            guard let found = c.readString(args[index]) else { return }
            sources.append(found ?? .empty)
        }
        let length = sources.reduce(0) { max($0, $1.count) }
        let destination = args[2]
        guard length > 0 else {
            if c.db.removeForReplacement(destination, now: c.now) {
                c.dirty()
                c.notify(.generic, "del", destination)
            }
            return c.reply.writeIntegerReply(0)
        }
        let result = combine(sources, operation, length: length)
        c.db.storeString(destination, at: nil, Bytes(array: result), form: KeyTable.rawString, now: c.now)
        c.dirty()
        c.notify(.string, "set", destination)
        c.reply.writeIntegerReply(length)
    }

    /// The result, `length` bytes: a word at a time while the source is that long, then bytewise.
    private static func combine(_ sources: [Bytes], _ operation: Operation, length: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: length)
        result.withUnsafeMutableBytes { out in
            sources[0].withUnsafeBytes { first in
                out.baseAddress!.copyMemory(from: first.baseAddress ?? UnsafeRawPointer(out.baseAddress!), byteCount: first.count)
            }
            if operation == .not {
                for index in 0..<length { out[index] = ~out[index] }
                return
            }
            // What the first source lacks reads as zeros: right for OR and XOR, and for AND
            // the zeros stay whatever the others hold.
            for source in sources.dropFirst() {
                source.withUnsafeBytes { bytes in
                    var index = 0
                    while index + 8 <= bytes.count {
                        let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                        let current = out.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                        let combined: UInt64 = switch operation {
                        case .and: current & word
                        case .or: current | word
                        default: current ^ word
                        }
                        out.storeBytes(of: combined, toByteOffset: index, as: UInt64.self)
                        index += 8
                    }
                    while index < bytes.count {
                        switch operation {
                        case .and: out[index] &= bytes[index]
                        case .or: out[index] |= bytes[index]
                        default: out[index] ^= bytes[index]
                        }
                        index += 1
                    }
                }
                // AND with a shorter source: the bytes past its end become zero.
                if operation == .and && source.count < length {
                    for index in source.count..<length { out[index] = 0 }
                }
            }
        }
        return result
    }
}

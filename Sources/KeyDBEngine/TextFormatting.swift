#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small text helpers shared by replies, logs and files.
extension StringProtocol {
    /// The text without any of `set`'s characters at either end.
    public func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

/// Redis's sdscatrepr: bytes in double quotes, with C escapes for quotes,
/// backslashes, control characters and bytes outside printable ASCII.
public enum Repr {
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to line: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\"")
        line.append(quote)
        for byte in bytes {
            switch byte {
            case backslash, quote: line += [backslash, byte]
            case 10: line += [backslash, UInt8(ascii: "n")]
            case 13: line += [backslash, UInt8(ascii: "r")]
            case 9: line += [backslash, UInt8(ascii: "t")]
            case 7: line += [backslash, UInt8(ascii: "a")]
            case 8: line += [backslash, UInt8(ascii: "b")]
            case 32...126: line.append(byte)
            default:
                let hex = Array("0123456789abcdef".utf8)
                line += [backslash, UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        line.append(quote)
    }
}

/// C's "%f" text of `value` (six decimals, every integer digit; "inf", "-nan" as glibc prints them),
/// or another fixed-point `format` such as "%.2f".
func cFixedText(_ value: Double, format: String = "%f") -> String {
    // The longest "%f" of a double is 309 integer digits, a sign, a point and six decimals.
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 330) { buffer in
        let length = withVaList([value]) { vsnprintf(buffer.baseAddress!, 330, format, $0) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(length)), as: UTF8.self)
    }
}

/// A short text built from its last character back, in a buffer on the stack.
struct BackwardText {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var position: Int

    fileprivate init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
        position = buffer.count
    }

    mutating func put(_ byte: UInt8) {
        position -= 1
        buffer[position] = byte
    }

    /// `value` in decimal: exactly `count` digits (zero-padded), or as many as it needs.
    mutating func putDigits(_ value: UInt64, count: Int? = nil) {
        var rest = value
        var written = 0
        repeat {
            put(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
            written += 1
        } while count.map { written < $0 } ?? (rest > 0)
    }

    fileprivate var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[position...]))
    }
}

/// Builds a text of at most `capacity` bytes with `build`, then hands it to `body`.
func withBackwardText<R>(capacity: Int, _ build: (inout BackwardText) -> Void, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
        var text = BackwardText(buffer)
        build(&text)
        return body(text.bytes)
    }
}

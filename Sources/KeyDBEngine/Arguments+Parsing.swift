import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers in arguments and string values, parsed as strictly as Redis does.
extension Arguments {
    /// A 64-bit integer (`string2ll`), or nil.
    @inlinable public func int64(_ index: Int) -> Int64? {
        Int64(redisDecimal: self[index])
    }

    /// A double (`string2d`: no leading blank, no trailing bytes, no NaN), or nil.
    public func double(_ index: Int) -> Double? {
        parseDouble(self[index])
    }

    /// A long double (`string2ld`), or nil.
    public func longDouble(_ index: Int) -> Float80? {
        parseLongDouble(self[index])
    }
}

/// `string2d`.
public func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
    guard bytes.count > 0, bytes.count < 5 * 1024, !isCBlank(bytes[0]) else { return nil }
    return withNulTerminated(bytes) { (text: UnsafePointer<CChar>) -> Double? in
        errno = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(text, &end)
        guard let end, UnsafePointer(end) - text == bytes.count else { return nil }
        if errno == ERANGE && (value == .infinity || value == -.infinity || value == 0) { return nil }
        return value.isNaN ? nil : value
    }
}

/// `string2ld`.
public func parseLongDouble(_ bytes: UnsafeRawBufferPointer) -> Float80? {
    guard bytes.count > 0, bytes.count < 5 * 1024, !isCBlank(bytes[0]) else { return nil }
    return withNulTerminated(bytes) { (text: UnsafePointer<CChar>) -> Float80? in
        errno = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtold(text, &end)
        guard let end, UnsafePointer(end) - text == bytes.count else { return nil }
        if errno == ERANGE && (value == .infinity || value == -.infinity || value == 0) { return nil }
        if errno == EINVAL { return nil }
        return value.isNaN ? nil : value
    }
}

/// Formats a long double as Redis's `ld2string` human mode: 17 decimals, trailing zeros trimmed.
public func formatLongDouble(_ value: Float80) -> [UInt8] {
    var buffer = [CChar](repeating: 0, count: 5 * 1024)
    let length = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.17Lf", $0) }
    guard length > 0, Int(length) < buffer.count else { return Array("0".utf8) }
    var text = buffer[0..<Int(length)].map { UInt8(bitPattern: $0) }
    if text.contains(UInt8(ascii: ".")) {
        while text.last == UInt8(ascii: "0") { text.removeLast() }
        if text.last == UInt8(ascii: ".") { text.removeLast() }
    }
    if text == Array("-0".utf8) { text = [UInt8(ascii: "0")] }
    return text
}

/// C's `isspace`.
@inlinable func isCBlank(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

private func withNulTerminated<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R?) -> R? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
        for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
        buffer[bytes.count] = 0
        return body(UnsafePointer(buffer.baseAddress!))
    }
}

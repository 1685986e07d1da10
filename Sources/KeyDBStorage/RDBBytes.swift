/// Anything that can lend its bytes contiguously: what the writer accepts for
/// keys, values and members, so callers need not copy into `[UInt8]`.
public protocol RDBBytes {
    func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: RDBBytes where Element == UInt8 {
    public func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: RDBBytes where Element == UInt8 {
    public func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ContiguousArray: RDBBytes where Element == UInt8 {
    public func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: RDBBytes {
    public func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension RDBBytes {
    var rdbByteCount: Int { withRDBBytes { $0.count } }
}

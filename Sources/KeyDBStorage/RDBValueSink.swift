/// Where a value goes to be encoded: one call per value, naming its type.
/// Snapshots (a key entry, `RDBWriter.writeEntry`) and DUMP payloads
/// (`RDBObjectEncoder`) both take values through this protocol, so whoever
/// describes a value type once (the engine's `Value.writeRDB`) gets both.
public protocol RDBValueSink {
    mutating func encodeString(_ value: some RDBBytes) throws
    /// A list as its length and a walk over its elements (made twice).
    mutating func encodeList(count: Int, _ forEach: RDBListWalk) throws
    /// `intset`: whether the set is held as an intset (nil: worked out from the members).
    mutating func encodeSet<C: Collection>(_ members: C, intset: Bool?) throws where C.Element: RDBBytes
    mutating func encodeHash<C: Collection, F: RDBBytes, V: RDBBytes>(_ fields: C) throws where C.Element == (F, V)
    mutating func encodeSortedSet<C: Collection, M: RDBBytes>(_ members: C) throws where C.Element == (M, Double)
    mutating func encodeStream(_ stream: RDBStream) throws
}

/// Hands each element of a list to the function it is given, head first.
public typealias RDBListWalk = ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

extension RDBValueSink {
    public mutating func encodeList<C: Collection>(_ elements: C) throws where C.Element: RDBBytes {
        try encodeList(count: elements.count) { body in
            for element in elements { try element.withRDBBytes(body) }
        }
    }
}

extension RDBObjectEncoder: RDBValueSink {
    public mutating func encodeStream(_ stream: RDBStream) throws {
        try encode(.stream(stream))
    }
}

/// One key entry of an image being written: the value the sink receives is
/// written after the entry's expiry and key.
public struct RDBEntrySink: RDBValueSink {
    // Both only live for the `RDBWriter.writeEntry` call that made this sink.
    fileprivate let output: UnsafeMutablePointer<RDBOutput>
    fileprivate let key: UnsafeRawBufferPointer
    public let limits: RDBEncodingLimits

    public mutating func encodeString(_ value: some RDBBytes) throws {
        try output.pointee.stringValue(key: key, value)
    }

    public mutating func encodeList(count: Int, _ forEach: RDBListWalk) throws {
        try output.pointee.listValue(key: key, count: count, limits: limits, forEach)
    }

    public mutating func encodeSet<C: Collection>(_ members: C, intset: Bool?) throws where C.Element: RDBBytes {
        try output.pointee.setValue(key: key, members, intset: intset, limits: limits)
    }

    public mutating func encodeHash<C: Collection, F: RDBBytes, V: RDBBytes>(_ fields: C) throws
    where C.Element == (F, V) {
        try output.pointee.hashValue(key: key, fields, limits: limits)
    }

    public mutating func encodeSortedSet<C: Collection, M: RDBBytes>(_ members: C) throws
    where C.Element == (M, Double) {
        try output.pointee.sortedSetValue(key: key, members, limits: limits)
    }

    public mutating func encodeStream(_ stream: RDBStream) throws {
        try output.pointee.streamValue(key: key, stream)
    }
}

extension RDBWriter {
    /// One key entry whose value `value` hands to the sink it is given.
    public mutating func writeEntry(
        key: some RDBBytes, expireAtMilliseconds: Int64?, _ value: (inout RDBEntrySink) throws -> Void
    ) throws {
        let limits = limits
        try entry(key, expireAtMilliseconds) { output, key in
            try withUnsafeMutablePointer(to: &output) { pointer in
                var sink = RDBEntrySink(output: pointer, key: key, limits: limits)
                try value(&sink)
            }
        }
    }
}

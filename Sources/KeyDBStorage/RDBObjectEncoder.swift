/// Encodes one value (type byte + payload) into memory, as for a DUMP payload.
/// Each call appends to `bytes`.
public struct RDBObjectEncoder {
    private var output: RDBOutput
    public let limits: RDBEncodingLimits

    public init(compression: Bool = true, limits: RDBEncodingLimits = RDBEncodingLimits()) {
        output = RDBOutput(compression: compression)
        self.limits = limits
    }

    public var bytes: [UInt8] { output.buffer }

    public mutating func encodeString(_ value: some RDBBytes) throws {
        try output.stringValue(key: nil, value)
    }

    public mutating func encodeList(count: Int, _ forEach: RDBListWalk) throws {
        try output.listValue(key: nil, count: count, limits: limits, forEach)
    }

    public mutating func encodeSet<C: Collection>(_ members: C, intset: Bool?) throws where C.Element: RDBBytes {
        try output.setValue(key: nil, members, intset: intset, limits: limits)
    }

    public mutating func encodeHash<C: Collection, F: RDBBytes, V: RDBBytes>(_ fields: C) throws
    where C.Element == (F, V) {
        try output.hashValue(key: nil, fields, limits: limits)
    }

    public mutating func encodeSortedSet<C: Collection, M: RDBBytes>(_ members: C) throws
    where C.Element == (M, Double) {
        try output.sortedSetValue(key: nil, members, limits: limits)
    }

    public mutating func encode(_ object: RDBObject) throws {
        try output.value(key: nil, object, limits: limits)
    }

    /// A function library record (RDB_OPCODE_FUNCTION2 and its code), as FUNCTION DUMP writes them.
    public mutating func encodeFunction(_ code: some RDBBytes) throws {
        output.byte(RDBOpcode.function2)
        try output.string(code)
    }
}

/// Decimal text of integers read from packed encodings. (Which strings may be
/// stored as integers is Redis's string2ll: `Int64(redisDecimal:)`.)
enum IntegerText {
    static func bytes(_ value: Int64) -> [UInt8] {
        Array(String(value).utf8)
    }
}

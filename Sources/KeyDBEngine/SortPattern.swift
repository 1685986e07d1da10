import KeyDBRESP

/// A SORT BY / GET pattern (Redis's lookupKeyByPattern): "#" is the element
/// itself; otherwise the first "*" is replaced by the element to name a string
/// key, or, with "->field" after the "*", a field of a hash key. Like Redis,
/// the "#", "*" and "->" are looked for in the pattern as a C string (up to a
/// NUL byte), while the key is built from the whole pattern.
struct SortPattern {
    private let prefix: [UInt8]
    private let suffix: [UInt8]
    private let field: Bytes?
    /// "#": the element itself.
    let isElement: Bool
    /// No "*": names no key at all (GET gives nil, BY means "do not sort").
    let hasWildcard: Bool

    init(_ pattern: UnsafeRawBufferPointer) {
        let bytes = Array(pattern)
        let text = bytes.prefix { $0 != 0 }
        isElement = text.count == 1 && text.first == UInt8(ascii: "#")
        guard let star = text.firstIndex(of: UInt8(ascii: "*")) else {
            (prefix, suffix, field, hasWildcard) = ([], [], nil, false)
            return
        }
        hasWildcard = true
        prefix = Array(bytes[..<star])
        // An arrow with at least one byte after it (before any NUL) makes a hash field.
        var arrow: Int? = nil
        var index = star + 1
        while index + 1 < text.count {
            if text[index] == UInt8(ascii: "-") && text[index + 1] == UInt8(ascii: ">") { arrow = index; break }
            index += 1
        }
        if let arrow, arrow + 2 < text.count {
            suffix = Array(bytes[(star + 1)..<arrow])
            field = Bytes(bytes[(arrow + 2)...])
        } else {
            suffix = Array(bytes[(star + 1)...])
            field = nil
        }
    }

    /// The value the pattern names for `element`: nil when the key is missing or of
    /// another type (or the field absent). A read of the key, as Redis's lookupKeyRead.
    func lookup(_ element: Bytes, _ c: ClientSession) -> Bytes? {
        if isElement { return element }
        guard hasWildcard else { return nil }
        let key = prefix + element.array + suffix
        let value = key.withUnsafeBytes { c.lookupRead($0) }
        switch (value, field) {
        case (.string(let bytes)?, nil): return bytes
        case (.hash(let hash)?, let field?): return hash.fields[field]
        default: return nil
        }
    }
}

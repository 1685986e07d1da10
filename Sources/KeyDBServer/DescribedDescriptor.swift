/// The descriptor number right after `marker` in a SwiftNIO description: how
/// SwiftNIO names the descriptors it does not expose (an event loop's selector,
/// a channel's socket). Callers check what the number designates before use.
/// A plain byte search: `firstRange(of:)` goes through the string-processing
/// library, which cost as much as making the description.
func describedDescriptor(after marker: String, in description: String) -> CInt? {
    var description = description
    return description.withUTF8 { text -> CInt? in
        let marker = Array(marker.utf8)
        guard !marker.isEmpty, text.count >= marker.count else { return nil }
        for start in 0...(text.count - marker.count) where text[start] == marker[0] {
            guard text[start..<start + marker.count].elementsEqual(marker) else { continue }
            var value = 0, end = start + marker.count
            while end < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[end]) {
                value = value * 10 + Int(text[end] - UInt8(ascii: "0"))
                guard value <= CInt.max else { return nil }
                end += 1
            }
            return end > start + marker.count ? CInt(value) : nil
        }
        return nil
    }
}

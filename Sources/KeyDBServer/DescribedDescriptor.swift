/// The descriptor number right after `marker` in a SwiftNIO description: how
/// SwiftNIO names the descriptors it does not expose (an event loop's selector,
/// a channel's socket). Callers check what the number designates before use.
func describedDescriptor(after marker: String, in description: String) -> CInt? {
    guard let found = description.firstRange(of: marker) else { return nil }
    return CInt(description[found.upperBound...].prefix(while: { $0.isASCII && $0.isWholeNumber }))
}

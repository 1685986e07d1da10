/// Random picks for HRANDFIELD, SRANDMEMBER and SPOP.
enum RandomSample {
    /// `count` distinct elements in random order (a partial Fisher–Yates shuffle).
    static func distinct<T>(_ elements: [T], count: Int) -> ArraySlice<T> {
        var elements = elements
        let count = min(count, elements.count)
        for i in 0..<count { elements.swapAt(i, Int.random(in: i..<elements.count)) }
        return elements[0..<count]
    }

    /// Most draws a negative-count SRANDMEMBER / HRANDFIELD / ZRANDMEMBER may make: beyond
    /// it the reply could not fit in one output buffer (4 GiB), where Redis would exhaust memory.
    static let maxRepeatedPicks = 1 << 26

    /// The number of draws for `count` (its magnitude), or nil after replying the error.
    static func repeatedPicks(_ count: Int64, _ c: ClientSession) -> Int? {
        guard count.magnitude <= UInt64(maxRepeatedPicks) else {
            c.replyError(ErrorReply.tooManyPicks)
            return nil
        }
        return Int(count.magnitude)
    }
}

/// Random picks for HRANDFIELD, SRANDMEMBER and SPOP.
enum RandomSample {
    /// `count` distinct elements in random order (a partial Fisher–Yates shuffle).
    static func distinct<T>(_ elements: [T], count: Int) -> ArraySlice<T> {
        var elements = elements
        let count = min(count, elements.count)
        for i in 0..<count { elements.swapAt(i, Int.random(in: i..<elements.count)) }
        return elements[0..<count]
    }
}

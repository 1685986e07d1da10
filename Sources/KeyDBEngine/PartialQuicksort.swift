/// Bentley and McIlroy's quicksort ("Engineering a Sort Function", 1993), the
/// BSD libc one, that only finishes the parts overlapping the positions in
/// `wanted`; the rest is left partitioned but unsorted.
///
/// Redis orders a COUNT-limited geo search with exactly this partial sort, and
/// it is not stable: members at equal distances come out in the order its
/// partitioning leaves them. Doing the same compares and swaps in the same
/// order is what makes our ties come out as Redis's do.
///
/// `compare` answers below zero, zero or above zero, as C's qsort comparators.
func partialQuicksort<T>(_ elements: inout [T], wanted: ClosedRange<Int>, compare: (T, T) -> Int) {
    guard elements.count > 1 else { return }
    elements.withUnsafeMutableBufferPointer { buffer in
        sortPart(buffer, start: 0, count: buffer.count, wanted: wanted, compare: compare)
    }
}

private func sortPart<T>(_ e: UnsafeMutableBufferPointer<T>, start: Int, count: Int,
                         wanted: ClosedRange<Int>, compare: (T, T) -> Int) {
    var start = start, count = count
    // The right-hand part is handled by looping rather than recursing.
    while true {
        // Short runs: insertion sort.
        if count < 7 {
            for next in (start + 1)..<(start + Swift.max(count, 1)) {
                var position = next
                while position > start && compare(e[position - 1], e[position]) > 0 {
                    e.swapAt(position, position - 1)
                    position -= 1
                }
            }
            return
        }

        // The pivot: the middle element, the median of three for mid-sized runs,
        // the median of three medians ("ninther") for long ones.
        func median(_ a: Int, _ b: Int, _ c: Int) -> Int {
            if compare(e[a], e[b]) < 0 {
                return compare(e[b], e[c]) < 0 ? b : (compare(e[a], e[c]) < 0 ? c : a)
            }
            return compare(e[b], e[c]) > 0 ? b : (compare(e[a], e[c]) < 0 ? a : c)
        }
        var pivot = start + count / 2
        if count > 7 {
            var low = start, high = start + count - 1
            if count > 40 {
                let gap = count / 8
                low = median(low, low + gap, low + 2 * gap)
                pivot = median(pivot - gap, pivot, pivot + gap)
                high = median(high - 2 * gap, high - gap, high)
            }
            pivot = median(low, pivot, high)
        }
        e.swapAt(start, pivot)

        // Three-way partition: elements equal to the pivot gather at both ends
        // (up to `equalLow` and from `equalHigh`), smaller ones after, larger ones before.
        var equalLow = start + 1, scanLow = start + 1
        var scanHigh = start + count - 1, equalHigh = start + count - 1
        while true {
            while scanLow <= scanHigh {
                let order = compare(e[scanLow], e[start])
                if order > 0 { break }
                if order == 0 {
                    e.swapAt(equalLow, scanLow)
                    equalLow += 1
                }
                scanLow += 1
            }
            while scanLow <= scanHigh {
                let order = compare(e[scanHigh], e[start])
                if order < 0 { break }
                if order == 0 {
                    e.swapAt(scanHigh, equalHigh)
                    equalHigh -= 1
                }
                scanHigh -= 1
            }
            if scanLow > scanHigh { break }
            e.swapAt(scanLow, scanHigh)
            scanLow += 1
            scanHigh -= 1
        }

        // Move the equal runs from the ends into the middle.
        let end = start + count
        func swapBlocks(_ a: Int, _ b: Int, _ length: Int) {
            for offset in 0..<max(length, 0) { e.swapAt(a + offset, b + offset) }
        }
        var length = min(equalLow - start, scanLow - equalLow)
        swapBlocks(start, scanLow - length, length)
        length = min(equalHigh - scanHigh, end - equalHigh - 1)
        swapBlocks(scanLow, end - length, length)

        // Sort the smaller-than part, then the larger-than part, each only if it holds a wanted position.
        func overlapsWanted(_ partStart: Int, _ partCount: Int) -> Bool {
            !(wanted.upperBound < partStart || wanted.lowerBound >= partStart + partCount)
        }
        let smaller = scanLow - equalLow
        if smaller > 1 && overlapsWanted(start, smaller) {
            sortPart(e, start: start, count: smaller, wanted: wanted, compare: compare)
        }
        let larger = equalHigh - scanHigh
        guard larger > 1, overlapsWanted(end - larger, larger) else { return }
        start = end - larger
        count = larger
    }
}

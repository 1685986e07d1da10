/// LATENCY GRAPH: an event's samples drawn as text, as Redis's sparkline renders
/// them — four rows of `_`, `o`, `#` (with `|` filling below), 80 samples per
/// block, each labelled with how long ago it happened.
enum LatencyGraph {
    static let columns = 80
    static let rows = 4
    static let marks = Array("_o#".utf8)

    static func render(event: String, _ series: LatencyMonitor.Series, now: Int64) -> String {
        let samples = series.history
        let values = samples.map(\.milliseconds)
        let low = values.min() ?? 0, high = values.max() ?? 0
        var text = "\(event) - high \(high) ms, low \(low) ms (all time high \(series.maximum) ms)\n"
        text += String(repeating: "-", count: columns) + "\n"
        let labels = samples.map { ago(now - $0.time) }
        for start in stride(from: 0, to: samples.count, by: columns) {
            if start != 0 { text += "\n" }
            let end = min(start + columns, samples.count)
            text += block(values[start..<end], labels: labels[start..<end], low: low, high: high)
        }
        return text
    }

    /// "12s", "5m", "3h", "2d".
    static func ago(_ seconds: Int64) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86400 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }

    /// One block of at most `columns` samples: the chart rows, a blank line, then
    /// the labels written downwards, one character per line.
    private static func block(_ values: ArraySlice<Int64>, labels: ArraySlice<String>, low: Int64, high: Int64) -> String {
        let levels = marks.count * rows
        let range = high == low ? 1 : Double(high - low)
        // Truncated twice, as Redis's integer and double arithmetic does.
        let heights = values.map { value -> Int in
            let step = Int(Double(Int(Double(value - low) * Double(levels))) / range)
            return min(max(step, 0), levels - 1)
        }
        var lines: [[UInt8]] = []
        for row in 0..<rows {
            lines.append(heights.map { height in
                let mark = height - (rows - row - 1) * marks.count
                return mark >= marks.count ? UInt8(ascii: "|") : mark >= 0 ? marks[mark] : UInt8(ascii: " ")
            })
        }
        lines.append([UInt8](repeating: 32, count: values.count))
        let labelBytes = labels.map { Array($0.utf8) }
        for depth in 0..<(labelBytes.map(\.count).max() ?? 0) {
            lines.append(labelBytes.map { depth < $0.count ? $0[depth] : 32 })
        }
        return lines.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
    }
}

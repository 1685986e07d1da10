import Foundation
import KeyDBEngine
import NIOCore
@testable import KeyDBPersistence
import Testing

/// The log's feed buffer after a huge command: its room is given back once the log
/// has the records, as Redis frees a large aof_buf (it held 2 MB for the server's
/// life after one 100,000-argument SADD, so UNLINK seemed to free nothing).
@Suite struct FeedBufferTests {
    @Test func aBigBatchsRoomIsGivenBackASmallOnesKept() throws {
        let path = NSTemporaryDirectory() + "swiftkeydb-feed-\(UUID().uuidString).aof"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AppendOnlyLog(path: path, policy: .no, logWarning: { _ in })
        let feed = AppendOnlyFeed()
        feed.buffer.writeString("*1\r\n$4\r\nPING\r\n")
        let small = feed.buffer.capacity
        _ = log.enqueue(&feed.buffer)
        #expect(feed.buffer.capacity == small)  // the common case keeps its room
        feed.buffer.writeRepeatingByte(UInt8(ascii: "x"), count: 1 << 20)
        let end = log.enqueue(&feed.buffer)
        #expect(end == 14 + (1 << 20))
        #expect(feed.buffer.readableBytes == 0)
        #expect(feed.buffer.capacity <= AppendOnlyFeed.keptCapacity)
    }
}

import Foundation
@testable import KeyDBPersistence
import Testing

/// History files go without the event loop waiting for their blocks to be freed.
@Suite struct BackgroundRemovalTests {
    @Test func theNameGoesAtOnceAndTheFileIsClosedLater() throws {
        let path = NSTemporaryDirectory() + "swiftkeydb-bgremove-\(UUID().uuidString).aof"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 1 << 20)))
        FileIO.removeInBackground(path)
        #expect(!FileManager.default.fileExists(atPath: path))
        // The descriptor kept open while the name went is closed, not leaked.
        let deadline = Date().addingTimeInterval(10)
        while openDescriptors(to: path) > 0 && Date() < deadline { usleep(1000) }
        #expect(openDescriptors(to: path) == 0)
        // A file that is not there is no error.
        FileIO.removeInBackground(path)
    }

    private func openDescriptors(to path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasPrefix(path) == true }.count
    }
}

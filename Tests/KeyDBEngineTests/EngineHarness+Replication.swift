@testable import KeyDBEngine
import Testing

/// What the replication suites share: a replica brought online without sockets
/// or a snapshot child, and the feed handed to the stream as after a batch.
extension EngineHarness {
    /// A replica past its snapshot: online, taking the stream live; connected from
    /// `address` and announcing `listeningPort`.
    func onlineReplica(address: String = "", listeningPort: Int = 0) throws -> TestClient {
        let replica = connect(address: address)
        _ = replica.run("REPLCONF", "listening-port", "\(listeningPort)")
        _ = replica.run("PSYNC", "?", "-1")
        engine.replication.snapshotStarted(engine: engine)
        _ = replica.takeDelivered()
        engine.replication.snapshotFinished(succeeded: true, engine: engine) { ReadySnapshot(descriptor: -1, size: 5) { _ in } }
        let link = try #require(replica.session.replica)
        _ = link.takeTransfer()
        link.snapshotSent()
        return replica
    }

    /// The feed's records go to the stream, as the persistence layer hands them over after a batch.
    func drainToReplicas() {
        guard let feed = engine.appendOnlyFeed else { return }
        feed.buffer.withUnsafeReadableBytes { engine.replication.feed($0, engine: engine) }
        feed.buffer.clear()
    }
}

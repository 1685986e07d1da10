/// How many entries a stream had added up to and including `id`, when that can
/// be known without walking it (Redis's logical read counter for consumer
/// groups); -1 when it cannot.
public func streamEntriesAdded(upTo id: StreamID, entriesAdded: UInt64, length: UInt64, firstID: StreamID,
                               lastID: StreamID, maxDeletedID: StreamID) -> Int64 {
    if entriesAdded == 0 { return 0 }
    let added = Int64(bitPattern: entriesAdded)
    if length == 0 && id <= lastID { return added }
    if id == lastID { return added }
    if id > lastID { return -1 }
    // Nothing deleted past the first entry: IDs before it were all added earlier, in order.
    if maxDeletedID == .zero || maxDeletedID < firstID {
        if id < firstID { return added - Int64(length) }
        if id == firstID { return added - Int64(length) + 1 }
    }
    return -1
}

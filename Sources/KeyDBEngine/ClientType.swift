import KeyDBRESP

/// Redis's client classes, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
enum ClientType {
    case normal, master, replica, pubsub

    /// The class argument `index` names (any case; "slave" is "replica"), or nil.
    init?(_ args: Arguments, _ index: Int) {
        if args.matches(index, "normal") {
            self = .normal
        } else if args.matches(index, "slave") || args.matches(index, "replica") {
            self = .replica
        } else if args.matches(index, "pubsub") {
            self = .pubsub
        } else if args.matches(index, "master") {
            self = .master
        } else {
            return nil
        }
    }
}

extension ClientSession {
    /// This client's class, as Redis's getClientType: the master, a replica, a subscriber, or normal.
    var type: ClientType { isMaster ? .master : replica != nil ? .replica : isSubscribed ? .pubsub : .normal }
}

/// Redis's ACL command categories (`+@read`, `-@dangerous`...), one bit each.
public struct ACLCategories: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = ACLCategories(rawValue: 1 << 0)
    public static let read = ACLCategories(rawValue: 1 << 1)
    public static let write = ACLCategories(rawValue: 1 << 2)
    public static let set = ACLCategories(rawValue: 1 << 3)
    public static let sortedset = ACLCategories(rawValue: 1 << 4)
    public static let list = ACLCategories(rawValue: 1 << 5)
    public static let hash = ACLCategories(rawValue: 1 << 6)
    public static let string = ACLCategories(rawValue: 1 << 7)
    public static let bitmap = ACLCategories(rawValue: 1 << 8)
    public static let hyperloglog = ACLCategories(rawValue: 1 << 9)
    public static let geo = ACLCategories(rawValue: 1 << 10)
    public static let stream = ACLCategories(rawValue: 1 << 11)
    public static let pubsub = ACLCategories(rawValue: 1 << 12)
    public static let admin = ACLCategories(rawValue: 1 << 13)
    public static let fast = ACLCategories(rawValue: 1 << 14)
    public static let slow = ACLCategories(rawValue: 1 << 15)
    public static let blocking = ACLCategories(rawValue: 1 << 16)
    public static let dangerous = ACLCategories(rawValue: 1 << 17)
    public static let connection = ACLCategories(rawValue: 1 << 18)
    public static let transaction = ACLCategories(rawValue: 1 << 19)
    public static let scripting = ACLCategories(rawValue: 1 << 20)

    /// Every category with its name, in Redis's table order (ACL CAT, COMMAND INFO,
    /// and the order ACL LIST tries categories in when it describes a user).
    public static let table: [(name: String, category: ACLCategories)] = [
        ("keyspace", .keyspace), ("read", .read), ("write", .write), ("set", .set), ("sortedset", .sortedset),
        ("list", .list), ("hash", .hash), ("string", .string), ("bitmap", .bitmap), ("hyperloglog", .hyperloglog),
        ("geo", .geo), ("stream", .stream), ("pubsub", .pubsub), ("admin", .admin), ("fast", .fast), ("slow", .slow),
        ("blocking", .blocking), ("dangerous", .dangerous), ("connection", .connection),
        ("transaction", .transaction), ("scripting", .scripting),
    ]

    /// A category by name, any case; nil when unknown.
    public static func named(_ name: some StringProtocol) -> ACLCategories? {
        let lowered = name.lowercased()
        return table.first { $0.name == lowered }?.category
    }

    /// The category a command group implies (a command's data type, mostly).
    static func implied(byGroup group: String) -> ACLCategories {
        switch group {
        case "string": .string
        case "generic": .keyspace
        case "list": .list
        case "hash": .hash
        case "set": .set
        case "sorted-set": .sortedset
        case "bitmap": .bitmap
        case "hyperloglog": .hyperloglog
        case "geo": .geo
        case "stream": .stream
        case "connection": .connection
        case "transactions": .transaction
        case "scripting": .scripting
        default: []
        }
    }

    /// The categories Redis derives from a command's flags.
    static func implied(byFlags flags: CommandFlags) -> ACLCategories {
        var categories: ACLCategories = []
        if flags.contains(.write) { categories.insert(.write) }
        if flags.contains(.readonly) { categories.insert(.read) }
        if flags.contains(.admin) { categories.formUnion([.admin, .dangerous]) }
        if flags.contains(.pubsub) { categories.insert(.pubsub) }
        if flags.contains(.fast) { categories.insert(.fast) }
        if flags.contains(.blocking) { categories.insert(.blocking) }
        if !flags.contains(.fast) { categories.insert(.slow) }
        return categories
    }

    /// "@keyspace", "@read"... in table order.
    public var names: [String] { Self.table.filter { contains($0.category) }.map { "@" + $0.name } }
}

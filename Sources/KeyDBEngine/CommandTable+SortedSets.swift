/// The command table's sorted-set rows (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var sortedSetCommands: [CommandSpec] { [
    ] }
}

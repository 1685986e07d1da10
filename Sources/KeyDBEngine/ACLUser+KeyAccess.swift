import KeyDBRESP

/// Whether a user may touch keys no key spec names (SORT's BY and GET patterns).
extension ACLUser {
    /// Whether a selector lets this command run and grants `permission` on every key
    /// (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess).
    func hasUnrestrictedKeyAccess(_ command: CommandSpec, _ args: Arguments, _ permission: ACLKeyPermission) -> Bool {
        let keys = command.keyReferences(args)
        return selectors.contains { selector in
            selector.check(command, args, keys: keys) == nil
                && (selector.allKeys || selector.keyPatterns.contains {
                    $0.pattern == [UInt8(ascii: "*")] && $0.permission.isSuperset(of: permission)
                })
        }
    }
}

import KeyDBRESP

/// SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE: handed to the persistence layer.
enum PersistenceCommands {
    static func save(_ c: ClientSession, _ args: Arguments) {
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        reply(c, persistence.save())
    }

    /// BGSAVE [SCHEDULE]
    static func bgsave(_ c: ClientSession, _ args: Arguments) {
        var schedule = false
        if args.count > 1 {
            guard args.count == 2, args.matches(1, "schedule") else { return c.replyError(ErrorReply.syntax) }
            schedule = true
        }
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        reply(c, persistence.backgroundSave(schedule: schedule || c.transaction != nil))
    }

    static func bgrewriteaof(_ c: ClientSession, _ args: Arguments) {
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        reply(c, persistence.rewriteAppendOnlyFile())
    }

    static func lastsave(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(Int(c.engine.persistence?.lastSaveTime ?? c.engine.startedAtUnix))
    }

    private static func reply(_ c: ClientSession, _ reply: PersistenceReply) {
        switch reply {
        case .status(let text): c.reply.writeSimpleString(text)
        case .error(let text): c.replyError(text)
        }
    }
}

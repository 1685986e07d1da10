import KeyDBRESP

/// SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE: handed to the persistence layer.
enum PersistenceCommands {
    static func save(_ c: ClientSession, _ args: Arguments) {
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        c.reply(persistence.save())
    }

    /// BGSAVE [SCHEDULE]
    static func bgsave(_ c: ClientSession, _ args: Arguments) {
        var schedule = false
        if args.count > 1 {
            guard args.count == 2, args.matches(1, "schedule") else { return c.replyError(ErrorReply.syntax) }
            schedule = true
        }
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        c.reply(persistence.backgroundSave(schedule: schedule || c.transaction != nil))
    }

    static func bgrewriteaof(_ c: ClientSession, _ args: Arguments) {
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        c.reply(persistence.rewriteAppendOnlyFile())
    }

    static func lastsave(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(Int(c.engine.persistence?.lastSaveTime ?? c.engine.startedAtUnix))
    }
}

extension ClientSession {
    /// A persistence job's answer as a status line or an error reply.
    func reply(_ answer: PersistenceReply) {
        switch answer {
        case .status(let text): reply.writeSimpleString(text)
        case .error(let text): replyError(text)
        }
    }
}

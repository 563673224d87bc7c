import Foundation

/// The node's data folder made ready before anything in it is read: created owner-only if
/// missing, locked for this node alone, then narrowed to owner-only modes.
///
/// Modes hold even when the folder already existed with a wider one (an operator's `mkdir`, an
/// older version): the folder becomes 0700 and the database with its `-wal` and `-shm` files
/// 0600. A missing database file is created empty with mode 0600 before SQLite opens it, since
/// SQLite gives its `-wal` and `-shm` files the database file's mode; so they are private from
/// their first byte whatever the umask.
enum DataFolder {
    /// Prepares `config.dataDirectory` and returns the lock that makes this node its only user.
    ///
    /// - Throws: ``NodeStartupError`` when the folder cannot be created, another node holds it,
    ///   or its files cannot be made private.
    static func prepare(_ config: NodeConfig) throws(NodeStartupError) -> DataFolderLock {
        let folder = config.dataDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: PrivateFile.folderMode])
        } catch {
            throw NodeStartupError("cannot create data folder \(folder): \(error.localizedDescription)")
        }
        // Nothing in the folder is changed before the lock is held: a refused node leaves the
        // running one's files (its api-address among them) as they are.
        let lock = try DataFolderLock.acquire(folder: folder)
        try PrivateFile.restrict(folder, to: PrivateFile.folderMode, followingLinks: true)
        let database = config.databasePath
        if PrivateFile.mode(of: database) == nil {
            close(try PrivateFile.create(database))
        }
        for path in [database, database + "-wal", database + "-shm", config.tokenPath] {
            try PrivateFile.restrict(path, to: PrivateFile.fileMode)
        }
        // An address left by an earlier run names a port nobody listens on any more; the
        // readiness writer puts the new one once the listeners are up.
        unlink(config.addressPath)
        return lock
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files and folders only their owner may open.
///
/// Every file here is created with its final, owner-only mode by `open(2)` itself
/// (`O_CREAT|O_EXCL`, mode 0600): there is no moment, however short, when another user could
/// open it, whatever the process's umask (which can only narrow the mode further). Nothing is
/// chmod-ed after the fact, and no symbolic link is followed.
enum PrivateFile {
    /// Owner read and write: secrets and the database.
    static let fileMode: mode_t = 0o600
    /// Owner only: the data folder.
    static let folderMode: mode_t = 0o700

    /// Creates `path`, which must not exist yet, owner-only, and returns its open descriptor
    /// (close-on-exec, write-only).
    ///
    /// - Throws: ``NodeStartupError`` naming the path when it exists or cannot be created.
    static func create(_ path: String) throws(NodeStartupError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw failure("cannot create", path) }
        return descriptor
    }

    /// Writes `contents` to `path`, replacing it atomically: a new file beside it is created
    /// owner-only, written, synced, and renamed over `path`; then the folder is synced, so the
    /// new name survives a crash. A reader sees the old file or the whole new one, never a part.
    ///
    /// - Throws: ``NodeStartupError`` naming the path when any step fails (the new file is removed).
    static func write(_ contents: String, to path: String) throws(NodeStartupError) {
        let temporary = "\(path).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = try create(temporary)
        var written = false
        defer {
            if !written { unlink(temporary) }
        }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { writeBytes(descriptor, $0) }
            guard count > 0 else {
                let error = failure("cannot write", temporary)
                close(descriptor)
                throw error
            }
            offset += count
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("cannot sync", temporary)
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) to", path) }
        written = true
        syncFolder(of: path)
    }

    /// Narrows an existing file (or folder) at `path` to `mode`; does nothing when it does not
    /// exist. Opened (by default without following a symbolic link), then changed through the
    /// descriptor.
    ///
    /// - Parameter followingLinks: follow a symbolic link at `path` (a data folder may be one).
    /// - Throws: ``NodeStartupError`` naming the path when it exists but cannot be changed.
    static func restrict(_ path: String, to mode: mode_t, followingLinks: Bool = false) throws(NodeStartupError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else {
            if errno == ENOENT { return }
            throw failure("cannot open", path)
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else {
            throw failure("cannot set mode \(String(mode, radix: 8)) on", path)
        }
    }

    /// The permission bits of `path` (`st_mode & 0o7777`), or `nil` when it does not exist.
    static func mode(of path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }

    private static func syncFolder(of path: String) {
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return }
        _ = fsync(folder)
        close(folder)
    }

    private static func failure(_ what: String, _ path: String) -> NodeStartupError {
        NodeStartupError("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// `write(2)`, out of reach of ``PrivateFile/write(_:to:)``'s name.
private func writeBytes(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
    write(descriptor, buffer.baseAddress, buffer.count)
}

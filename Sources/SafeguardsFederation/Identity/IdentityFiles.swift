import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes identity files (certificates, keys) with the permissions they need: private
/// keys are created owner-only (0600) before any byte of them is written, so no other user can
/// ever read them, and nothing is overwritten unless the caller says so.
public enum IdentityFiles {
    /// Who may read a file once written.
    public enum Access: Sendable {
        /// Owner read/write only (0600): private keys.
        case ownerOnly
        /// Owner read/write, everyone read (0644): certificates and public keys.
        case publicReadable

        var mode: mode_t { self == .ownerOnly ? 0o600 : 0o644 }
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The permission bits of the file at `path` (a symbolic link is followed) when its group or
    /// others may read, write or execute it, `nil` when only its owner may (or it does not exist).
    /// A private key with such a mode is readable by other local users, or can be replaced by them.
    public static func exposedMode(of path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let mode = Int(status.st_mode) & 0o777
        return mode & 0o077 == 0 ? nil : mode
    }

    /// The UTF-8 text of the file at `path`.
    ///
    /// - Throws: ``IdentityError/Code-swift.struct/fileAccess`` naming the path when it cannot be read.
    public static func readText(at path: String) throws(IdentityError) -> String {
        guard exists(path) else { throw IdentityError(code: .fileAccess, message: "\(path) does not exist") }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IdentityError(code: .fileAccess, message: "cannot read \(path)", cause: error)
        }
    }

    /// Writes `text` to `path` with the permissions of `access`.
    ///
    /// - Parameter overwrite: Replace an existing file (its permissions are reset to `access`).
    /// - Throws: ``IdentityError/Code-swift.struct/fileExists`` when the file exists and
    ///   `overwrite` is false; ``IdentityError/Code-swift.struct/fileAccess`` when it cannot be written.
    public static func write(_ text: String, to path: String, access: Access, overwrite: Bool) throws(IdentityError) {
        // O_EXCL makes "refuse to overwrite" atomic: no window between a check and the create.
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (overwrite ? 0 : O_EXCL)
        let descriptor = open(path, flags, access.mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST {
                throw IdentityError(code: .fileExists, message: "\(path) already exists")
            }
            throw IdentityError(code: .fileAccess, message: "cannot create \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        // The mode given to open() applies only to a new file and is narrowed by the umask; set it
        // explicitly so a replaced file also ends up with exactly `access`.
        guard fchmod(descriptor, access.mode) == 0 else {
            throw IdentityError(code: .fileAccess, message: "cannot set permissions of \(path)")
        }
        do {
            try FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: Data(text.utf8))
        } catch {
            throw IdentityError(code: .fileAccess, message: "cannot write \(path)", cause: error)
        }
    }
}

import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One node per data folder: an exclusive `flock` on `<data_dir>/lock`, held for as long as the
/// node runs.
///
/// Two nodes on one folder would each keep their own view of the same ledger and both accept
/// spends against it. The lock is taken before the database is opened or the token is touched,
/// and the holder writes its pid into the file, so a second node exits at once naming the folder
/// and the pid that holds it.
///
/// - The kernel drops the lock with the process (even after `kill -9`): a lock file left behind
///   by a dead node, pid and all, blocks nobody.
/// - `flock` locks belong to an open file description, not to a process: a second node opened
///   in the same process on the same folder is refused too.
/// - As a service, it is the first of the node's services, so the service group stops it last:
///   the lock is released once everything else of the node has stopped. Dropped without running
///   (a node that failed to open), it releases the lock when it is deinitialized.
public final class DataFolderLock: Service, Sendable {
    /// The data folder this lock holds.
    public let folder: String
    /// The lock file's descriptor, `nil` once released.
    private let descriptor: Mutex<Int32?>

    /// The lock file inside `folder`.
    static func path(in folder: String) -> String { (folder as NSString).appendingPathComponent("lock") }

    private init(folder: String, descriptor: Int32) {
        self.folder = folder
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock of `folder` (which must exist) without waiting.
    ///
    /// - Throws: ``NodeStartupError`` naming the folder and the holder's pid when another node
    ///   holds it, or naming the lock file when it cannot be opened or locked.
    static func acquire(folder: String) throws(NodeStartupError) -> DataFolderLock {
        let path = Self.path(in: folder)
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, PrivateFile.fileMode)
        guard descriptor >= 0 else {
            throw NodeStartupError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK {
                throw NodeStartupError(
                    "data folder \(folder) is in use by another node (pid \(holder ?? "unknown"), holding \(path)); "
                        + "stop that node first, or give this one a data_dir of its own")
            }
            throw NodeStartupError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        // Whoever holds the lock owns the file's content: the pid that a refused node reports.
        let pid = Array("\(getpid())\n".utf8)
        guard ftruncate(descriptor, 0) == 0,
            pid.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) }) == pid.count
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw NodeStartupError("cannot write the pid into the lock file \(path): \(reason)")
        }
        _ = fchmod(descriptor, PrivateFile.fileMode)
        return DataFolderLock(folder: folder, descriptor: descriptor)
    }

    /// Whether the lock is still held by this value.
    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    /// Holds the lock until the service group shuts down gracefully, then releases it.
    public func run() async throws {
        // On cancellation the lock stays held until this value is deinitialized: the other
        // services may still be stopping, and a second node must not open the folder meanwhile.
        do { try await gracefulShutdown() } catch { return }
        release()
    }

    /// Releases the lock (once; later calls do nothing). The pid is cleared first, so the file
    /// never names a node that no longer holds it.
    public func release() {
        descriptor.withLock { held in
            guard let descriptor = held else { return }
            _ = ftruncate(descriptor, 0)
            close(descriptor)
            held = nil
        }
    }

    deinit { release() }

    /// The pid written in the lock file, as text, when there is one.
    private static func holder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty || !text.allSatisfy(\.isNumber) ? nil : text
    }
}

import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTestKit
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import SafeguardsNode

/// The permission bits of `path`, or -1 when it cannot be read.
func permissions(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// A node's data folder and secrets are its owner's alone.
@Suite("Private data folder and secrets", .timeLimit(.minutes(5)))
struct DataFolderModeTests {
    static func expectPrivate(_ directory: String, wal: Bool) throws {
        #expect(permissions(directory) == 0o700)
        var files = ["api-token", "safeguards.sqlite", "lock"]
        if wal { files += ["safeguards.sqlite-wal", "safeguards.sqlite-shm"] }
        for file in files {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/\(file)"), "\(file)")
            #expect(permissions("\(directory)/\(file)") == 0o600, "\(file)")
        }
    }

    @Test func aFolderThatExistedOpenToAllIsMadePrivate() async throws {
        let directory = try makeTemporaryDirectory()
        #expect(chmod(directory, 0o777) == 0)
        // No token in the config: the node generates one in the folder.
        try await TestNode.with(dataDirectory: directory, configure: { $0.api.token = nil }) { _, node in
            _ = try await node.operations.createPool(CreatePoolRequest(name: "p", initialBudget: 10, priority: 5))
            // Stat them while the node runs: the WAL and shared-memory files exist only then.
            try Self.expectPrivate(directory, wal: true)
        }
        // Files an earlier version (or an operator) left wide are narrowed at the next start.
        #expect(chmod(directory, 0o777) == 0)
        for file in ["api-token", "safeguards.sqlite"] { #expect(chmod("\(directory)/\(file)", 0o644) == 0) }
        try await TestNode.with(dataDirectory: directory, configure: { $0.api.token = nil }) { _, node in
            #expect(await node.operations.pools().count == 1)
            try Self.expectPrivate(directory, wal: true)
        }
    }

    @Test func theGeneratedTokenIsNeverVisibleWithAWiderMode() async throws {
        let directory = try makeTemporaryDirectory()
        var config = TestNode.config(dataDirectory: directory)
        config.api.token = nil
        let watcher = FolderWatcher(directory)
        // The umask a node process would have without one of its own: files are created 0644.
        let previous = umask(0o022)
        defer { umask(previous) }
        watcher.start()
        for _ in 0..<200 {
            let token = try APIToken.resolve(config: config, logger: Logger(label: "token-test"))
            #expect(APIToken.read(dataDirectory: directory) == token)
            #expect(permissions(config.tokenPath) == 0o600)
            #expect(unlink(config.tokenPath) == 0)
        }
        await watcher.stop()
        #expect(watcher.looked > 0)
        #expect(watcher.wide.isEmpty, "seen with a wider mode: \(watcher.wide.prefix(5))")
        // Nothing is left behind but the folder itself.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func aPrivateKeyOthersCanReadIsRefused() async throws {
        let certificates = try makeTemporaryDirectory("own-ca")
        let folder = CertificateDirectory(path: certificates)
        var random = SystemRandomNumberGenerator()
        let now = Date()
        _ = try folder.initAuthority(
            name: "Test Federation CA", notBefore: now - 3600, notAfter: now + 86_400, overwrite: false, using: &random)
        let system = try SystemID("system_k")
        _ = try folder.issueNode(
            system, notBefore: now - 3600, notAfter: now + 86_400, overwrite: false, using: &random)
        var config = TestNode.config(dataDirectory: try makeTemporaryDirectory())
        config.systemID = "system_k"
        config.federation = FederationConfig(
            listen: HostPort(host: "127.0.0.1", port: 0), caPath: folder.authorityCertificatePath,
            certificatePath: folder.certificatePath(for: system), privateKeyPath: folder.privateKeyPath(for: system),
            signingKeyPath: folder.signingKeyPath(for: system))
        for key in [folder.privateKeyPath(for: system), folder.signingKeyPath(for: system)] {
            #expect(chmod(key, 0o644) == 0)
            let error = #expect(throws: NodeStartupError.self) {
                _ = try BudgetNode.open(config: config, logger: Logger(label: "keys"))
            }
            #expect(error?.message.contains(key) == true)
            #expect(error?.message.contains("chmod 600 \(key)") == true)
            #expect(chmod(key, 0o600) == 0)
        }
        // Owner-only keys start.
        try await TestNode.with(dataDirectory: try makeTemporaryDirectory(), configure: { $0 = config }) { client, _ in
            let check = try await client.ledgerCheck()
            #expect(check.balanced)
        }
    }

    @Test func theDevelopmentCAsKeysAreAcceptedAsCheckedOut() async throws {
        // git checks Certs/ out 0644; those keys are public anyway, so the node warns and runs.
        let key = "\(DevelopmentFederation.directory)/system_a.key"
        #expect(IdentityFiles.exposedMode(of: key) != nil || permissions(key) == 0o600)
        try await TestNode.withFederated("system_a") { client, _, port in
            #expect(port > 0)
            let check = try await client.ledgerCheck()
            #expect(check.balanced)
        }
    }
}

/// Lists a folder over and over on a thread of its own, noting every file it sees whose mode
/// lets group or others in: what another local user polling the folder could open.
final class FolderWatcher: Sendable {
    let path: String
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let state = Mutex<(looked: Int, wide: [String])>((0, []))

    init(_ path: String) { self.path = path }

    var looked: Int { state.withLock { $0.looked } }
    var wide: [String] { state.withLock { $0.wide } }

    func start() {
        running.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in
            while running.load(ordering: .sequentiallyConsistent) {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                    let mode = permissions("\(path)/\(name)")
                    guard mode >= 0 else { continue }
                    state.withLock { state in
                        state.looked += 1
                        if mode & 0o077 != 0 { state.wide.append("\(name) \(String(mode, radix: 8))") }
                    }
                }
            }
            finished.store(true, ordering: .sequentiallyConsistent)
        }
        thread.start()
    }

    func stop() async {
        running.store(false, ordering: .sequentiallyConsistent)
        while !finished.load(ordering: .sequentiallyConsistent) { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

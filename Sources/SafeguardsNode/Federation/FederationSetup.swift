import Crypto
import Logging
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore
import SafeguardsTransport

/// Builds the federation side of a node from its config: TLS identity, signing key, peer
/// registry (config peers applied over stored ones), dialer, listener.
enum FederationSetup {
    struct Parts {
        let node: FederationNode
        let listener: PeerListener
        let signingKey: Curve25519.Signing.PrivateKey
    }

    static func make(
        systemID: String, config: FederationConfig, store: LedgerStore, logger: Logger,
        developmentCertificatesExpected: Bool
    ) throws(NodeStartupError) -> Parts {
        let ownID: SystemID
        do { ownID = try SystemID(systemID) } catch {
            throw NodeStartupError("system_id '\(systemID)' cannot be used in a federation: \(error)")
        }
        let identity: TLSIdentity
        let signingKey: Curve25519.Signing.PrivateKey
        do {
            identity = try TLSIdentity.load(
                caPath: config.caPath, certificatePath: config.certificatePath, privateKeyPath: config.privateKeyPath)
            signingKey = try SigningKeys.loadPrivateKey(at: config.signingKeyPath)
        } catch {
            throw NodeStartupError("federation: \(error)")
        }
        let development = try checkCertificates(
            identity, ownID: ownID, logger: logger, developmentExpected: developmentCertificatesExpected)
        try checkPrivateKeyModes(config, development: development, logger: logger)

        try applyConfiguredPeers(config.peers, to: store)
        let registry: PeerRegistry
        do { registry = try PeerRegistry(store: store, recoveryHalfLife: config.trustRecoveryHalfLife) } catch {
            throw NodeStartupError("federation: \(error)")
        }
        let identify: CertificateIdentifier = { der in try CertificateIdentity.systemID(derEncoded: der) }
        let dialer: PeerDialer
        do {
            dialer = try PeerDialer(
                identity: identity, identify: identify, maximumFrameLength: config.maxFrameBytes,
                requestTimeout: config.requestTimeout, idleTimeout: config.idleTimeout,
                handshakeTimeout: config.handshakeTimeout, logger: logger)
        } catch {
            throw NodeStartupError("federation: \(error)")
        }
        let node = FederationNode(
            systemID: ownID, signingKey: signingKey, registry: registry, dialer: dialer,
            replayWindow: config.replayWindow, now: Timestamp.now, logger: logger)
        let listener = PeerListener(
            host: config.listen.host, port: config.listen.port, identity: identity,
            maximumFrameLength: config.maxFrameBytes, idleTimeout: config.idleTimeout,
            handshakeTimeout: config.handshakeTimeout, maxConnections: config.maxConnections,
            maxFramesInFlight: config.maxFramesInFlight, identify: identify, logger: logger)
        return Parts(node: node, listener: listener, signingKey: signingKey)
    }

    /// Config peers are written over the stored ones at every start (their history is kept).
    static func applyConfiguredPeers(_ peers: [FederationConfig.PeerConfig], to store: LedgerStore) throws(
        NodeStartupError
    ) {
        do {
            let stored = Dictionary(uniqueKeysWithValues: try store.peers().map { ($0.systemID, $0) })
            for peer in peers {
                let record: PeerRecord
                do {
                    record = try PeerRegistry.record(
                        updating: stored[peer.systemID], id: peer.systemID, address: peer.address,
                        trust: peer.trustLevel, publicKeyBase64: peer.publicKey, source: .config, now: Timestamp.now())
                } catch {
                    throw NodeStartupError("federation.peers (\(peer.systemID)): \(error.message)")
                }
                try store.savePeer(record)
            }
        } catch let error as NodeStartupError {
            throw error
        } catch {
            throw NodeStartupError("federation.peers: \(error)")
        }
    }

    /// Private keys must be their owner's alone: a key file that group or others may read or
    /// write is refused, with the `chmod 600` that fixes it. The one exception is a node on the
    /// development CA, whose keys are public in `Certs/` anyway (and checked out 0644 by git):
    /// it logs a warning instead, so the demo and the dev configs run from a fresh clone.
    static func checkPrivateKeyModes(
        _ config: FederationConfig, development: Bool, logger: Logger
    ) throws(NodeStartupError) {
        let keys = [
            ("federation.private_key", config.privateKeyPath), ("federation.signing_key", config.signingKeyPath),
        ]
        for (key, path) in keys {
            guard let mode = IdentityFiles.exposedMode(of: path) else { continue }
            let problem = "\(key) \(path) is readable or writable by group or others (mode \(String(mode, radix: 8)))"
            guard development else {
                throw NodeStartupError("\(problem); a private key must be its owner's alone: chmod 600 \(path)")
            }
            logger.warning(
                "\(problem); accepted only because it belongs to the development CA, whose keys are public anyway",
                metadata: ["path": "\(path)"])
        }
    }

    /// The node's own certificate must name its system id; the development CA is fine for the
    /// demo and tests, and anywhere else gets a warning nobody can miss. Returns whether the
    /// node trusts the development CA.
    private static func checkCertificates(
        _ identity: TLSIdentity, ownID: SystemID, logger: Logger, developmentExpected: Bool
    ) throws(NodeStartupError) -> Bool {
        do {
            let named = try CertificateIdentity.systemID(derEncoded: try identity.leafCertificateDER())
            guard named == ownID else {
                throw NodeStartupError("federation.certificate names '\(named)', but this node is '\(ownID)'")
            }
            let development = try identity.trustRootsDER().contains(where: DevelopmentCA.isDevelopmentCA(derEncoded:))
            if development, !developmentExpected {
                logger.critical(
                    """
                    THIS NODE TRUSTS THE DEVELOPMENT FEDERATION CA FROM Certs/. Its private key is public: \
                    anyone can join this federation. Make a CA of your own with 'safeguards certs init-ca'.
                    """)
            }
            return development
        } catch let error as NodeStartupError {
            throw error
        } catch {
            throw NodeStartupError("federation: cannot read the certificates: \(error)")
        }
    }
}

import Foundation
import Hummingbird
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation

/// `/v1/peers`: the federation peer registry and the ping round trip.
struct PeerRoutes: Sendable {
    let federation: FederationNode?
    let maxBodyBytes: Int
    let now: @Sendable () -> Timestamp

    func add(to v1: RouterGroup<NodeRequestContext>) {
        v1.post("peers") { request, _ in
            let body = try await JSONBody.decode(PeerRequest.self, from: request, limit: maxBodyBytes)
            let registry = try registry()
            let id = try Self.systemID(body.systemID, field: "system_id")
            guard let address = HostPort(parsing: body.address) else {
                throw SafeguardsError.invalidRequest("address '\(body.address.prefix(64))' is not host:port")
            }
            let trust: TrustLevel
            do { trust = try TrustLevel(parsing: body.trustLevel) } catch {
                throw SafeguardsError.invalidRequest("trust_level: \(error)")
            }
            let record = try await registry.upsert(
                id, address: address, trust: trust, publicKeyBase64: body.publicKey, source: .api, now: now())
            return JSONBody.response(
                PeerBody(record, halfLife: registry.recoveryHalfLife, now: now()), status: .created)
        }
        v1.get("peers") { request, _ in
            let page = try PageRequest(request, list: "peers")
            let registry = try registry()
            let time = now()
            let (peers, next) = page.page(ascending: await registry.all(), key: \.systemID.rawValue)
            return JSONBody.response(
                PeerListBody(
                    peers: peers.map { PeerBody($0, halfLife: registry.recoveryHalfLife, now: time) }, next: next))
        }
        v1.get("peers/:id") { _, context in
            let id = try Self.systemID(try context.parameters.require("id"), field: "peer id")
            let registry = try registry()
            let record = try await registry.registered(id)
            return JSONBody.response(PeerBody(record, halfLife: registry.recoveryHalfLife, now: now()))
        }
        v1.delete("peers/:id") { _, context in
            let id = try Self.systemID(try context.parameters.require("id"), field: "peer id")
            do { try await registry().remove(id) } catch let error as SafeguardsError where error.code == .notFound {
                throw SafeguardsError(.unknownPeer, error.message)
            }
            return Response(status: .noContent)
        }
        v1.post("peers/:id/ping") { _, context in
            let id = try Self.systemID(try context.parameters.require("id"), field: "peer id")
            guard let federation else { throw Self.disabled }
            let result = try await federation.ping(id)
            let micros = result.roundTrip.components.seconds * 1_000_000
                + result.roundTrip.components.attoseconds / 1_000_000_000_000
            return JSONBody.response(
                PingResultBody(
                    systemID: id.rawValue, roundTripMs: String(format: "%.3f", Double(micros) / 1000),
                    effectiveTrust: result.effectiveTrust.description))
        }
    }

    private func registry() throws(SafeguardsError) -> PeerRegistry {
        guard let federation else { throw Self.disabled }
        return federation.registry
    }

    static let disabled = SafeguardsError(
        .federationDisabled, "this node has no federation section in its config; it has no peers")

    static func systemID(_ text: String, field: String) throws(SafeguardsError) -> SystemID {
        do { return try SystemID(text) } catch { throw .invalidRequest("\(field): \(error.description)") }
    }
}

extension PeerBody {
    /// `record` as the API shows it, with its effective trust at `now`.
    init(_ record: PeerRecord, halfLife: Duration, now: Timestamp) {
        self.init(
            systemID: record.systemID.rawValue, address: record.address, publicKey: record.publicKeyBase64,
            trustLevel: record.trust.configured.description,
            effectiveTrust: record.trust.effective(at: now, halfLife: halfLife).description,
            goodMessages: record.trust.goodMessages, badMessages: record.trust.badMessages,
            lastContact: record.lastContact?.description, lastOffenseAt: record.trust.lastOffenseAt?.description,
            source: record.source.rawValue, createdAt: record.createdAt.description)
    }
}

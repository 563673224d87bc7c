import SafeguardsCore
import SafeguardsFederation

/// Two nodes: `a` asks, `b` gives (b offers a 1000, so 800 at trust 0.8; cap 500; minimum trust 0.5).
enum SettlementFixtures {
    static let a = SystemID(unchecked: "system_a")
    static let b = SystemID(unchecked: "system_b")
    static let c = SystemID(unchecked: "system_c")
    static let agent = AgentID(unchecked: "agent-1")
    static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    static let trust = TrustLevel(clampingBasisPoints: 8000)
    static let lowTrust = TrustLevel(clampingBasisPoints: 3000)

    static func id(_ text: String) -> TransferID { TransferID(unchecked: text) }

    static func configuration(
        _ me: SystemID, offers: [SystemID: Amount] = [:], rate: RateLimitPolicy = RateLimitPolicy()
    ) -> SettlementConfiguration {
        SettlementConfiguration(
            me: me, offers: offers, minimumTrust: TrustLevel(clampingBasisPoints: 5000), perRequestCap: 500,
            rateLimit: rate, retry: RetryPolicy(initial: .milliseconds(200), maximum: .seconds(2)))
    }

    static func requester() -> SettlementMachine { SettlementMachine(configuration: configuration(a)) }
    static func giver(rate: RateLimitPolicy = RateLimitPolicy(), refusalsKept: Int = 1000) -> SettlementMachine {
        var configuration = configuration(b, offers: [a: 1000], rate: rate)
        configuration.refusalsKeptPerPeer = refusalsKept
        return SettlementMachine(configuration: configuration)
    }

    static func request(
        _ id: String, _ amount: Amount, agent: AgentID = agent, metadata: [String: String] = [:],
        createdAt: Timestamp = start
    ) -> RemoteTransferRequest {
        RemoteTransferRequest(
            transactionID: TransferID(unchecked: id), requester: a, giver: b, amount: amount, agentID: agent,
            metadata: metadata, createdAt: createdAt)
    }

    /// The messages among directives, in order.
    static func messages(_ directives: [SettlementDirective]) -> [SettlementMessage] {
        directives.compactMap { directive in
            switch directive {
            case .send(_, let message), .reply(_, let message): return message
            default: return nil
            }
        }
    }

    static func records(_ directives: [SettlementDirective]) -> [SettlementRecord] {
        directives.compactMap { directive in
            if case .persist(let record) = directive { return record }
            return nil
        }
    }

    static func transferReceipt(_ directives: [SettlementDirective]) -> TransferReceipt? {
        for message in messages(directives) { if case .transferReceipt(let receipt) = message { return receipt } }
        return nil
    }

    static func returnReceipt(_ directives: [SettlementDirective]) -> TransferReceipt? {
        for message in messages(directives) { if case .returnReceipt(let receipt) = message { return receipt.receipt } }
        return nil
    }
}

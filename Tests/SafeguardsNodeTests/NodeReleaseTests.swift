import Logging
import SafeguardsNode
import SafeguardsStore
import SafeguardsTestKit
import Testing

/// A node that is dropped lets go of everything it opened: its writer's thread, its database and
/// its federation services. A reference cycle among them would keep all of it (two threads and
/// several descriptors a node) for the life of the process.
@Suite("A dropped node is released")
struct NodeReleaseTests {
    @Test func aFederatedNodeThatIsDroppedFreesItsServicesAndWriter() throws {
        weak var federation: FederationNode?
        weak var settlement: SettlementService?
        weak var gossip: GossipService?
        weak var writer: BudgetWriter?
        do {
            var config = TestNode.config(dataDirectory: try makeTemporaryDirectory())
            config.systemID = "system_a"
            config.federation = DevelopmentFederation.config(for: "system_a")
            let node = try BudgetNode.open(
                config: config, logger: Logger(label: "release-test", factory: { _ in SwiftLogNoOpLogHandler() }),
                developmentCertificatesExpected: true)
            federation = node.federation
            settlement = node.settlement
            gossip = node.gossip
            writer = node.operations.writer
            #expect(federation != nil && settlement != nil && gossip != nil && writer != nil)
        }
        #expect(federation == nil)
        #expect(settlement == nil)
        #expect(gossip == nil)
        #expect(writer == nil)
    }
}

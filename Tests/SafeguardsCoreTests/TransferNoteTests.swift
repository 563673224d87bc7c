import SafeguardsCore
import Testing

private typealias F = LedgerFixture

/// Reservations and spends keep their reason and metadata compactly; what is read back must be
/// exactly what was given, and equality must follow the text, not the form it is kept in.
@Suite("Transfer reasons and metadata")
struct TransferNoteTests {
    static func transfer(reason: String, metadata: [String: String]) -> Transfer {
        Transfer(
            id: TransferID(unchecked: "t1"), debitAccount: F.alice, creditAccount: F.bob, amount: 5, isPending: false,
            timeoutMilliseconds: nil, reason: reason, metadata: metadata, createdAt: F.start, state: .posted,
            postedAmount: 5, resolvedAt: nil)
    }

    @Test(
        "reason and metadata read back exactly as given",
        arguments: [
            ("spend by agent a1", ["kind": "spend", "agent_id": "a1"]),
            ("reservation by agent a1", ["kind": "reservation", "agent_id": "a1"]),
            ("spend by agent a1", ["kind": "spend", "agent_id": "a2"]),
            ("spend by agent a1", ["kind": "spend", "agent_id": "a1", "extra": "x"]),
            ("reservation by agent a1", ["kind": "spend", "agent_id": "a1"]),
            ("spend by agent a1", ["kind": "spend"]),
            ("pool resize", ["kind": "pool_resize", "pool_id": "p1"]),
            ("", [:]),
        ])
    func readsBackAsGiven(reason: String, metadata: [String: String]) {
        let transfer = Self.transfer(reason: reason, metadata: metadata)
        #expect(transfer.reason == reason)
        #expect(transfer.metadata == metadata)
        for (key, value) in metadata { #expect(transfer.metadataValue(key) == value) }
        #expect(transfer.metadataValue("absent") == nil)
    }

    @Test("a spend made by the book equals the same transfer read back from the journal")
    func bookTransferEqualsJournalRow() throws {
        var (book, agent) = try CallerNoteTests.book()
        guard case .transfer(let spend, _) = try book.execute(
            .spend(agent, amount: 5, transferID: TransferID(unchecked: "s1")), now: F.start)
        else {
            Issue.record("a spend returns its transfer")
            return
        }
        #expect(spend.reason == "spend by agent a1")
        #expect(spend.metadata == ["kind": "spend", "agent_id": "a1"])
        let row = Transfer(
            id: spend.id, debitAccount: spend.debitAccount, creditAccount: spend.creditAccount, amount: spend.amount,
            isPending: spend.isPending, timeoutMilliseconds: spend.timeoutMilliseconds, reason: spend.reason,
            metadata: spend.metadata, createdAt: spend.createdAt, state: spend.state,
            postedAmount: spend.postedAmount, resolvedAt: spend.resolvedAt)
        #expect(row == spend)
        #expect(row.hashValue == spend.hashValue)
        #expect(Self.transfer(reason: "spend by agent a1", metadata: ["kind": "spend", "agent_id": "a1"])
            != Self.transfer(reason: "spend by agent a1", metadata: ["kind": "spend", "agent_id": "a1", "x": "y"]))
    }

    @Test("a retry of a request whose reason and metadata are spelled out matches the compact transfer")
    func spelledOutRetryMatches() throws {
        var ledger = try F.funded()
        let request = TransferRequest(
            id: TransferID(unchecked: "r1"), debit: F.alice, credit: F.bob, amount: 5, isPending: true,
            reason: "reservation by agent a1", metadata: ["kind": "reservation", "agent_id": "a1"])
        let first = try ledger.apply(.create(request), now: F.start)
        var other = request
        other.metadata["agent_id"] = "a2"
        let retry = try ledger.apply(.create(request), now: F.start)
        #expect(retry.replayed && retry.transfer == first.transfer)
        #expect(throws: LedgerError.transferIDConflict(request.id)) { try ledger.apply(.create(other), now: F.start) }
    }
}

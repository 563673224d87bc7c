import SafeguardsCore
import Testing

private typealias F = LedgerFixture

/// A reservation or spend made through the API carries the key that asked and the caller's
/// metadata in its compact note: read back exactly, and equal to the same transfer read from the
/// journal, so a retry after a restart is still recognised as the same request.
@Suite("Caller notes on reservations and spends")
struct CallerNoteTests {
    /// A book with pool `p` (100) and its agent `a1` (50).
    static func book() throws -> (BudgetBook, AgentID) {
        var book = BudgetBook()
        let pool = PoolID(unchecked: "p")
        let agent = AgentID(unchecked: "a1")
        try book.execute(
            .createPool(pool, name: "main", priority: try PoolPriority(5), initialBudget: 100, metadata: [:], key: nil),
            now: F.start)
        try book.execute(.registerAgent(agent, pool: pool, priority: .high, initialBudget: 50, key: nil), now: F.start)
        return (book, agent)
    }

    @Test func theKeyAndTheCallersMetadataReadBackAndEqualTheJournalRow() throws {
        var (book, agent) = try Self.book()
        let caller = CallerNote(actor: "key_0123456789abcdef", metadata: ["model": "gpt-5", "input_tokens": "12"])
        let result = try book.execute(
            .reserve(agent, amount: 5, reservationID: TransferID(unchecked: "r1"), timeout: nil, caller: caller),
            now: F.start)
        guard case .transfer(let reservation, _) = result else {
            Issue.record("a reservation returns its transfer")
            return
        }
        #expect(
            reservation.metadata == [
                "kind": "reservation", "agent_id": "a1", "api_key_id": "key_0123456789abcdef", "model": "gpt-5",
                "input_tokens": "12",
            ])
        #expect(reservation.metadataValue("api_key_id") == "key_0123456789abcdef")
        #expect(reservation.metadataValue("model") == "gpt-5")
        let row = Transfer(
            id: reservation.id, debitAccount: reservation.debitAccount, creditAccount: reservation.creditAccount,
            amount: reservation.amount, isPending: reservation.isPending,
            timeoutMilliseconds: reservation.timeoutMilliseconds, reason: reservation.reason,
            metadata: reservation.metadata, createdAt: reservation.createdAt, state: reservation.state,
            postedAmount: reservation.postedAmount, resolvedAt: reservation.resolvedAt)
        #expect(row == reservation)
        #expect(row.hashValue == reservation.hashValue)
        // The reservation is still found as the agent's when it is settled.
        guard case .transfer(let settled, _) = try book.execute(
            .settle(reservationID: TransferID(unchecked: "r1"), amount: 2), now: F.start)
        else {
            Issue.record("a settle returns its transfer")
            return
        }
        #expect(settled.state == .posted && settled.metadataValue("model") == "gpt-5")
    }

    @Test func aRetryWithOtherMetadataIsAConflictAndTheSameIsAReplay() throws {
        var (book, agent) = try Self.book()
        let id = TransferID(unchecked: "spd:k")
        let first = CallerNote(actor: "admin-token", metadata: ["model": "a"])
        try book.execute(.spend(agent, amount: 1, transferID: id, caller: first), now: F.start)
        guard case .transfer(_, let replayed) = try book.execute(
            .spend(agent, amount: 1, transferID: id, caller: first), now: F.start)
        else {
            Issue.record("a spend returns its transfer")
            return
        }
        #expect(replayed)
        for other in [CallerNote(actor: "admin-token", metadata: ["model": "b"]), CallerNote(actor: "key_x")] {
            #expect(throws: SafeguardsError.self) {
                try book.execute(.spend(agent, amount: 1, transferID: id, caller: other), now: F.start)
            }
        }
    }
}

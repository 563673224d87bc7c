import GRDB
import SafeguardsCore
import SafeguardsStore
import Testing

@Suite("Store errors name no SQL")
struct StoreErrorTests {
    @Test func sqliteErrorsBecomeASentenceAndTheirCode() {
        let full = DatabaseError(
            resultCode: .SQLITE_FULL, message: "database or disk is full", sql: "INSERT INTO transfers VALUES (?)",
            arguments: ["secret-metadata"])
        let error = StoreError(operation: "commit 1 changes", underlying: full)
        #expect(error.description == "storage failed to commit 1 changes: the disk is full (SQLite result code 13)")
        let missing = DatabaseError(
            resultCode: .SQLITE_ERROR, message: "no such table: benefit_reports",
            sql: "SELECT agent_id FROM benefit_reports WHERE at >= ?", arguments: [1])
        let described = StoreError(operation: "read benefits", underlying: missing).description
        for text in ["SELECT", "benefit_reports", "agent_id", "?"] { #expect(!described.contains(text), "\(described)") }
    }

    @Test func theStoresOwnErrorsKeepTheirMessage() {
        let own = DatabaseError(message: "transfer t-1 was not pending in the journal")
        #expect(StoreError(operation: "commit", underlying: own).description.hasSuffix("transfer t-1 was not pending in the journal"))
        let ledger = StoreError(operation: "load", underlying: LedgerError.overflow(AccountID(unchecked: "funding")))
        #expect(ledger.description.contains("funding"))
    }
}

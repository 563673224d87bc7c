import GRDB
import SafeguardsCore

/// A storage operation failed.
///
/// The ``description`` is what may reach a client or a log: the operation, a plain sentence for
/// the cause and SQLite's result code. It never contains a statement or its arguments (GRDB's own
/// error text quotes the SQL, which would show a client the schema and the values bound in it);
/// ``underlying`` keeps the full error for a debugger, and is not to be shown to anyone.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What the store was doing ("report benefit", "commit 3 changes").
    public let operation: String
    /// SQLite's extended result code, when SQLite refused (e.g. 13, `SQLITE_FULL`).
    public let resultCode: Int32?
    /// The cause as a plain sentence, without SQL.
    public let reason: String
    /// The original error. May quote SQL: for debugging only, never for a client.
    public let underlying: any Error

    /// Wraps `underlying`, the error thrown while the store did `operation`.
    public init(operation: String, underlying: any Error) {
        self.operation = operation
        self.underlying = underlying
        switch underlying {
        case let error as DatabaseError where error.sql == nil && error.resultCode == .SQLITE_ERROR:
            // Thrown by the store's own code (a journal it cannot read), not by SQLite: the message is ours.
            resultCode = nil
            reason = error.message ?? "the stored data cannot be read"
        case let error as DatabaseError:
            resultCode = error.extendedResultCode.rawValue
            reason = Self.sentence(for: error.resultCode.primaryResultCode.rawValue)
        case let error as StoreError:
            resultCode = error.resultCode
            reason = error.reason
        case let error as LedgerError:
            resultCode = nil
            reason = error.description
        default:
            // Other GRDB errors (row decoding, for one) quote the statement: only their type is named.
            resultCode = nil
            reason = "an unexpected \(type(of: underlying))"
        }
    }

    public var description: String {
        "storage failed to \(operation): \(reason)" + (resultCode.map { " (SQLite result code \($0))" } ?? "")
    }

    /// SQLite's primary result codes as sentences (https://sqlite.org/rescode.html).
    static func sentence(for primaryCode: Int32) -> String {
        switch primaryCode {
        case 1: "the database refused the statement"
        case 2: "SQLite failed internally"
        case 3: "access to the database file was denied"
        case 4: "the operation was aborted"
        case 5: "the database is busy"
        case 6: "a table is locked"
        case 7: "SQLite ran out of memory"
        case 8: "the database is read-only"
        case 9: "the operation was interrupted"
        case 10: "a disk I/O error occurred"
        case 11: "the database file is corrupt"
        case 13: "the disk is full"
        case 14: "the database file cannot be opened"
        case 15: "the database file could not be locked"
        case 17: "the schema changed during the operation"
        case 18: "a value is too large to store"
        case 19: "a constraint was violated"
        case 20: "a value has the wrong type"
        case 21: "SQLite was used incorrectly"
        case 23: "permission to use the database was denied"
        case 26: "the file is not a database"
        default: "SQLite refused the operation"
        }
    }
}

/// The ledger accounts behind pools and agents, and how they are named.
public enum LedgerAccounts {
    /// Where all budget comes from: the operator's funding. Unconstrained; its balance is minus
    /// the budget issued to pools.
    public static let funding = AccountID(unchecked: "funding")

    public static func pool(_ id: PoolID) -> AccountID { AccountID(unchecked: "pool:\(id.rawValue)") }
    public static func agent(_ id: AgentID) -> AccountID { AccountID(unchecked: "agent:\(id.rawValue)") }
    /// The sink an agent's spending is credited to.
    public static func spent(_ id: AgentID) -> AccountID { AccountID(unchecked: "spent:\(id.rawValue)") }

    /// An account id in words: `agent:a1` → `agent a1`.
    public static func describe(_ account: AccountID) -> String {
        for kind in ["pool", "agent", "spent"] where account.rawValue.hasPrefix(kind + ":") {
            return "\(kind) \(account.rawValue.dropFirst(kind.count + 1))"
        }
        return "account \(account.rawValue)"
    }
}
